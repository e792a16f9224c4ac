"""Resolution: the rules that need no LLM, the batched call, and candidates from Neo4j."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from graphmem.llm.ollama import OllamaLLM
from graphmem.llm.retry import RetryPolicy
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.resolve import (
    EntityCandidate,
    EntityQuestion,
    FactCandidate,
    FactQuestion,
    decide_entity,
    decide_fact,
    names_confirm,
    resolve,
)
from graphmem.store.candidates import entities_by_key, similar_entities, similar_facts
from graphmem.writer import content_hash
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import ScriptedLLMServer

BERLIN = EntityCandidate("id-berlin", "berlin", "Berlin", "City", 1.0)
MUNICH = EntityCandidate("id-munich", "munich", "Munich", "City", 0.711)
LENA = EntityCandidate("id-lena", "lena fischer", "Lena Fischer", "Person", 0.742)
JORDAN = EntityCandidate("id-jordan", "jordan", "Jordan", "Person", 1.0)


# ---- rules ---------------------------------------------------------------------------------


def test_exact_key_and_compatible_type_merge_without_asking() -> None:
    assert decide_entity("Berlin", "City", BERLIN, []).merge_into == BERLIN
    assert decide_entity("berlin", "Thing", BERLIN, []).merge_into == BERLIN


def test_a_similar_city_is_only_a_question_never_a_merge() -> None:
    decision = decide_entity("Berlin", "City", None, [MUNICH])
    assert decision.merge_into is None and decision.ask == [MUNICH]


def test_names_and_type_confirm_a_vector_candidate() -> None:
    assert names_confirm("Lena", "Lena Fischer") and names_confirm("Acme Corp", "acme")
    assert not names_confirm("Jen", "Jennifer") and not names_confirm("York", "New York")
    assert not names_confirm("Fischer", "Lena Fischer")
    assert decide_entity("Lena", "Person", None, [LENA]).merge_into == LENA
    # The same words but an unknown type: the names alone do not decide.
    assert decide_entity("Lena", "Thing", None, [LENA]).ask == [LENA]


def test_candidates_of_another_kind_are_dropped() -> None:
    place = EntityCandidate("id-p", "paris", "Paris", "City", 0.8)
    assert decide_entity("Paris Hilton", "Person", None, [place]).ask == []


def test_an_exact_key_of_another_kind_is_asked_about() -> None:
    decision = decide_entity("Jordan", "Country", JORDAN, [JORDAN])
    assert decision.ask == [JORDAN] and decision.key_taken


def test_an_equal_content_hash_is_a_duplicate_without_asking() -> None:
    same = FactCandidate("f1", "User likes tea", content_hash("user likes  TEA"), 0.99)
    other = FactCandidate("f2", "User likes coffee", content_hash("User likes coffee"), 0.8)
    decision = decide_fact(content_hash("User likes tea"), [other, same])
    assert decision.event == "NONE" and decision.existing == [same]
    assert decide_fact(content_hash("User likes chai"), [other]).ask == [other]


# ---- the batched call ----------------------------------------------------------------------


@pytest.fixture
def llm(scripted_llm: ScriptedLLMServer) -> OllamaLLM:
    return OllamaLLM("qwen2.5:7b", host=scripted_llm.url, retry=RetryPolicy(max_retries=0))


def _questions() -> tuple[list[EntityQuestion], list[FactQuestion]]:
    berlin_fact = FactCandidate("uuid-old-fact", "User lives in Berlin", "h1", 0.73)
    entities = [
        EntityQuestion("Munich", "City", decide_entity("Munich", "City", None, [BERLIN])),
        EntityQuestion("Jen", "Person", decide_entity("Jen", "Person", None, [JORDAN])),
    ]
    facts = [FactQuestion("User moved to Amsterdam", decide_fact("h2", [berlin_fact]))]
    return entities, facts


def test_one_call_with_small_integer_ids_mapped_back(
    llm: OllamaLLM, scripted_llm: ScriptedLLMServer
) -> None:
    entities, facts = _questions()
    scripted_llm.script(
        [
            json.dumps(
                {
                    "entities": [{"id": 1, "same_as": None}, {"id": 3, "same_as": 4}],
                    "facts": [{"id": 5, "event": "CONTRADICTS", "existing": [6]}],
                }
            )
        ]
    )
    completion = resolve(llm, entities, facts)
    assert completion is not None and len(scripted_llm.chat_requests) == 1
    request = scripted_llm.chat_requests[0]
    payload = json.loads(request.messages[-1]["content"])
    assert [e["id"] for e in payload["new_entities"]] == [1, 3]
    assert payload["new_entities"][0]["candidates"] == [{"id": 2, "name": "Berlin", "type": "City"}]
    assert payload["new_facts"][0]["existing_facts"] == [{"id": 6, "text": "User lives in Berlin"}]
    assert "uuid-old-fact" not in request.prompt_text and "id-berlin" not in request.prompt_text
    assert request.schema is not None and request.schema["title"] == "Resolution"
    assert entities[0].decision.merge_into is None
    assert entities[1].decision.merge_into == JORDAN
    assert facts[0].decision.event == "CONTRADICTS"
    assert [c.id for c in facts[0].decision.existing] == ["uuid-old-fact"]


def test_ids_not_offered_for_that_item_are_rejected(
    llm: OllamaLLM, scripted_llm: ScriptedLLMServer
) -> None:
    entities, facts = _questions()
    scripted_llm.script(
        [
            json.dumps(
                {
                    # 4 exists, but was offered for Jen (3), not for Munich (1).
                    "entities": [{"id": 1, "same_as": 4}, {"id": 3, "same_as": "id-jordan"}],
                    "facts": [{"id": 5, "event": "CONTRADICTS", "existing": [2, 77]}],
                }
            )
        ]
    )
    resolve(llm, entities, facts)
    assert entities[0].decision.merge_into is None
    assert entities[1].decision.merge_into is None
    assert facts[0].decision.event == "ADD" and facts[0].decision.existing == []


@pytest.mark.parametrize(
    "answer", ["I think Munich is Berlin.", '{"facts": [{"id": 5, "event": "DELETE_ALL"}]}']
)
def test_an_unusable_answer_keeps_the_safe_defaults(
    answer: str, llm: OllamaLLM, scripted_llm: ScriptedLLMServer
) -> None:
    entities, facts = _questions()
    scripted_llm.script([answer])
    assert resolve(llm, entities, facts) is not None
    assert all(e.decision.merge_into is None and e.decision.settled for e in entities)
    assert facts[0].decision.event == "ADD" and facts[0].decision.settled


def test_no_question_no_call(llm: OllamaLLM, scripted_llm: ScriptedLLMServer) -> None:
    assert resolve(llm, [], []) is None
    assert scripted_llm.chat_requests == []


# ---- candidates from the store -------------------------------------------------------------


@pytest.fixture
def cities(memory: Memory) -> Iterator[Scope]:
    uid = f"cities-{uuid.uuid4().hex[:10]}"
    memory.add_facts(
        [
            {"text": "Alex lives in Munich", "entities": [{"name": "Munich", "type": "City"}]},
            {"text": "Alex works at Acme", "entities": [{"name": "Acme", "type": "Organization"}]},
        ],
        user_id=uid,
    )
    yield Scope(user_id=uid)
    memory.reset(user_id=uid)


def test_entity_candidates_use_raw_cosine_within_the_scope(
    memory: Memory, cities: Scope, user_id: str
) -> None:
    berlin = memory.embedder.embed_one("Berlin")
    found = similar_entities(memory.store, cities, [("berlin", berlin)], 0.7)
    assert [(c.name, c.type) for c in found[0]] == [("Munich", "City")]
    assert found[0][0].score == pytest.approx(0.711, abs=0.002)  # raw cosine, not (1+cos)/2
    assert similar_entities(memory.store, cities, [("berlin", berlin)], 0.72) == {}
    # Another scope sees none of them.
    assert similar_entities(memory.store, Scope(user_id=user_id), [("berlin", berlin)], 0.0) == {}
    exact = entities_by_key(memory.store, cities, ["munich", "berlin"])
    assert list(exact) == ["munich"] and exact["munich"].type == "City"


def test_fact_candidates_find_similar_and_identical_facts(memory: Memory, cities: Scope) -> None:
    texts = ["Alex lives in Munich", "Alex is living in Munich now", "Alex adopted a cat"]
    vectors = memory.embedder.embed(texts)
    found = similar_facts(
        memory.store,
        cities,
        [(content_hash(t), v) for t, v in zip(texts, vectors, strict=True)],
        0.7,
    )
    assert found[0][0].text == "Alex lives in Munich"
    assert found[0][0].content_hash == content_hash("Alex lives in Munich")
    assert found[1][0].text == "Alex lives in Munich" and found[1][0].score >= 0.7
    assert 2 not in found


def test_a_name_of_another_kind_gets_its_own_node_when_resolution_says_so(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    person = {
        "facts": [{"id": 1, "text": "Jordan is User's colleague", "entities": ["Jordan"]}],
        "entities": [{"name": "Jordan", "type": "Person"}],
        "relations": [],
    }
    country = {
        "facts": [{"id": 1, "text": "User travelled to Jordan", "entities": ["Jordan"]}],
        "entities": [{"name": "Jordan", "type": "Country"}],
        "relations": [{"source": "User", "type": "VISITED", "target": "Jordan", "fact": 1}],
    }
    scripted_llm.script([json.dumps(person), json.dumps(country), '{"entities": [], "facts": []}'])
    mem.add("My colleague Jordan is great.", user_id=user_id)
    mem.add("I travelled to Jordan.", user_id=user_id)
    found = memory.store.read(
        "MATCH (e:Entity {user_id: $uid}) WHERE e.name = 'Jordan' "
        "RETURN e.key AS key, e.type AS type ORDER BY key",
        {"uid": user_id},
    )
    assert [(r["key"], r["type"]) for r in found] == [
        ("jordan", "Person"),
        ("jordan [country]", "Country"),
    ]
