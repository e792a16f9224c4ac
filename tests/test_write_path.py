"""The write path on the real Neo4j, the LLM scripted at the HTTP boundary.

The 32-turn conversation in fixtures/conversations/people.json must end in the right graph,
with one LLM call per add unless graphmem found an ambiguous candidate.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from graphmem.memory import Memory
from tests.fixtures.conversations.responder import ConversationLLM, memory_on_scripted_llm
from tests.scripted_llm import ScriptedLLMServer

RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
LIVES_IN_BERLIN = {
    "facts": [{"id": 1, "text": "User lives in Berlin", "entities": ["User", "Berlin"]}],
    "entities": [{"name": "User", "type": "Person"}, {"name": "Berlin", "type": "City"}],
    "relations": [{"source": "User", "type": "lives in", "target": "Berlin", "fact": 1}],
}
MOVED = {
    "facts": [
        {
            "id": 1,
            "text": "User moved from Berlin to Amsterdam",
            "entities": ["User", "Amsterdam"],
            "valid_from": "2026-03-01",
        }
    ],
    "entities": [{"name": "I", "type": "Person"}, {"name": "Amsterdam", "type": "City"}],
    "relations": [{"source": "I", "type": "LIVES_IN", "target": "Amsterdam", "fact": 1}],
}


def rows(memory: Memory, statement: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in memory.store.read(statement, params)]


def relations_of(memory: Memory, uid: str) -> list[dict[str, Any]]:
    return rows(
        memory,
        "MATCH (a:Entity {user_id: $uid})-[r]->(b:Entity) "
        "RETURN a.name AS source, coalesce(r.relation, type(r)) AS type, b.name AS target, "
        "r.valid_from AS valid_from, r.valid_to AS valid_to, "
        "r.invalidated_at AS invalidated_at, r.fact_id AS fact_id",
        uid=uid,
    )


# ---- the conversation ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def conversation(
    memory: Memory, scripted_llm_server: ScriptedLLMServer
) -> Iterator[dict[str, Any]]:
    """The people.json conversation added turn by turn; what each add returned."""
    uid = f"conv-{uuid.uuid4().hex[:10]}"
    scripted_llm_server.reset()
    llm = ConversationLLM.load("people")
    scripted_llm_server.responder = llm
    mem = memory_on_scripted_llm(memory, scripted_llm_server)
    outcomes = []
    for index, turn in enumerate(llm.turns):
        llm.current = turn
        asked_before = len(llm.questions)
        result = mem.add(turn["user"], user_id=uid, timestamp=llm.timestamp(index))
        outcomes.append(
            {"turn": index + 1, "result": result, "asked": len(llm.questions) > asked_before}
        )
    scripted_llm_server.reset()
    yield {"uid": uid, "outcomes": outcomes, "memory": mem}
    memory.reset(user_id=uid)


def test_the_conversation_is_long_enough(conversation: dict[str, Any]) -> None:
    assert len(conversation["outcomes"]) >= 30


def test_the_conversation_ends_in_the_expected_graph(conversation: dict[str, Any]) -> None:
    mem, uid = conversation["memory"], conversation["uid"]
    entities = rows(
        mem, "MATCH (e:Entity {user_id: $uid}) RETURN e.name AS name, e.type AS type", uid=uid
    )
    names = sorted(e["name"] for e in entities)
    expected = [uid, "Acme", "Amsterdam", "Berlin", "Biscuit", "Dutch", "Guitar", "Jennifer"]
    expected += ["Lena", "Lisbon", "Marco", "Munich", "Pizza", "Priya", "The Night Owls"]
    expected += ["Thinking in Systems"]
    assert names == sorted(expected)
    relations = relations_of(mem, uid)
    assert len(relations) == 18
    assert all(RELATION_TYPE.fullmatch(r["type"]) for r in relations)
    current = [r for r in relations if r["valid_to"] is None and r["invalidated_at"] is None]
    assert len(current) == 17
    facts = rows(mem, "MATCH (f:Fact {user_id: $uid}) RETURN f.status AS status", uid=uid)
    # 26 facts extracted in 23 turns with facts; "User loves pizza" was a duplicate (NONE)
    # and the move to Amsterdam superseded "User lives in Berlin".
    assert [f["status"] for f in facts].count("active") == 25
    assert [f["status"] for f in facts].count("superseded") == 1


def test_a_person_named_two_ways_is_one_node_when_resolution_says_so(
    conversation: dict[str, Any],
) -> None:
    mem, uid = conversation["memory"], conversation["uid"]
    jennifer = rows(
        mem,
        "MATCH (e:Entity {user_id: $uid}) WHERE e.name IN ['Jen', 'Jennifer'] "
        "RETURN e.name AS name, e.mentions AS mentions, "
        "[(e)<-[:ABOUT]-(f:Fact) | f.text] AS facts",
        uid=uid,
    )
    assert len(jennifer) == 1 and jennifer[0]["name"] == "Jennifer"
    assert "Jen adopted a dog called Biscuit" in jennifer[0]["facts"]
    assert "Jen works as an architect" in jennifer[0]["facts"]
    owns = [r for r in relations_of(mem, uid) if r["type"] == "OWNS"]
    assert [(r["source"], r["target"]) for r in owns] == [("Jennifer", "Biscuit")]


def test_berlin_and_munich_stay_distinct(conversation: dict[str, Any]) -> None:
    mem, uid = conversation["memory"], conversation["uid"]
    cities = rows(
        mem,
        "MATCH (e:Entity:City {user_id: $uid}) RETURN e.name AS name ORDER BY name",
        uid=uid,
    )
    assert [c["name"] for c in cities] == ["Amsterdam", "Berlin", "Lisbon", "Munich"]
    lives = {(r["source"], r["target"]) for r in relations_of(mem, uid) if r["type"] == "LIVES_IN"}
    assert ("Jennifer", "Munich") in lives and (uid, "Berlin") in lives


def test_moving_supersedes_berlin_and_keeps_both_in_history(
    conversation: dict[str, Any],
) -> None:
    mem, uid = conversation["memory"], conversation["uid"]
    lives = {r["target"]: r for r in relations_of(mem, uid) if r["type"] == "LIVES_IN"}
    berlin, amsterdam = lives["Berlin"], lives["Amsterdam"]
    assert berlin["valid_to"] is not None and berlin["invalidated_at"] is not None
    assert berlin["valid_to"].to_native().date().isoformat() == "2026-01-21"
    assert amsterdam["valid_to"] is None and amsterdam["invalidated_at"] is None
    old = rows(
        mem,
        "MATCH (new:Fact {id: $new})-[:SUPERSEDES]->(old:Fact) "
        "RETURN old.id AS id, old.status AS status, old.valid_to AS valid_to, old.text AS text",
        new=amsterdam["fact_id"],
    )
    assert len(old) == 1 and old[0]["id"] == berlin["fact_id"]
    assert old[0]["status"] == "superseded" and old[0]["valid_to"] is not None
    history = mem.history(amsterdam["fact_id"], user_id=uid)
    seen = [(h["memory_id"], h["event"]) for h in history]
    assert (berlin["fact_id"], "ADD") in seen
    assert (amsterdam["fact_id"], "ADD") in seen
    assert (berlin["fact_id"], "SUPERSEDE") in seen
    assert history[-1]["old_memory"] == "User lives in Berlin"
    assert history[-1]["new_memory"] == "User moved from Berlin to Amsterdam"


def test_llm_calls_per_add(conversation: dict[str, Any]) -> None:
    outcomes = conversation["outcomes"]
    print("\nturn  llm_calls  asked  prompt_tokens  completion_tokens  embeddings")
    for o in outcomes:
        u = o["result"]["usage"]
        print(
            f"{o['turn']:>4}  {u['llm_calls']:>9}  {o['asked']!s:>5}  "
            f"{u['prompt_tokens']:>13}  {u['completion_tokens']:>17}  {u['embeddings']:>10}"
        )
    calls = [o["result"]["usage"]["llm_calls"] for o in outcomes]
    average = sum(calls) / len(calls)
    print(f"adds={len(calls)} calls={sum(calls)} average={average:.3f} max={max(calls)}")
    for o in outcomes:
        assert o["result"]["usage"]["llm_calls"] == (2 if o["asked"] else 1)
    assert average <= 1.3
    assert max(calls) <= 2
    assert all(o["result"]["usage"]["prompt_tokens"] > 0 for o in outcomes)


def test_every_fact_carries_its_provenance(conversation: dict[str, Any]) -> None:
    mem, uid = conversation["memory"], conversation["uid"]
    facts = rows(
        mem,
        "MATCH (f:Fact {user_id: $uid}) OPTIONAL MATCH (f)-[:FROM]->(ep:Episode) "
        "RETURN f.prompt_version AS prompt_version, f.model AS model, count(ep) AS episodes, "
        "f.content_hash AS content_hash",
        uid=uid,
    )
    assert facts and all(f["prompt_version"] == "extraction.v1" for f in facts)
    assert all(f["model"] == "qwen2.5:7b" and f["episodes"] >= 1 for f in facts)
    assert all(f["content_hash"] for f in facts)


# ---- one add, through both providers -------------------------------------------------------


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_add_works_end_to_end_through_both_providers(
    provider: str, memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm, provider)
    scripted_llm.script([json.dumps(LIVES_IN_BERLIN)])
    first = mem.add("I live in Berlin.", user_id=user_id)
    scripted_llm.script(
        [
            json.dumps(MOVED),
            json.dumps(
                {"entities": [], "facts": [{"id": 1, "event": "CONTRADICTS", "existing": [2]}]}
            ),
        ]
    )
    second = mem.add("I moved from Berlin to Amsterdam.", user_id=user_id)

    paths = {r.path for r in scripted_llm.chat_requests}
    assert paths == ({"/api/chat"} if provider == "ollama" else {"/v1/chat/completions"})
    schemas = [r.schema for r in scripted_llm.chat_requests]
    assert schemas[0] is not None and schemas[0]["title"] == "Extraction"
    assert schemas[2] is not None and schemas[2]["title"] == "Resolution"
    assert "Message time: " in scripted_llm.chat_requests[0].prompt_text
    assert first["results"][0]["event"] == "ADD"
    assert first["usage"]["llm_calls"] == 1 and first["usage"]["embeddings"] == 3
    assert first["relations"]["added_entities"] == [
        {
            "source": user_id,
            "relationship": "LIVES_IN",
            "destination": "Berlin",
            "relation": "LIVES_IN",
            "target": "Berlin",
        }
    ]
    assert second["usage"]["llm_calls"] == 2
    # As a mem0 client reads it: the new fact is ADD, the replaced one DELETE on its own id
    # (kept as history); graphmem's supersession rides along.
    berlin_id = first["results"][0]["id"]
    added, deleted = second["results"]
    assert added["event"] == "ADD" and added["supersedes"] == [berlin_id]
    assert added["previous_memory"] == "User lives in Berlin"
    assert deleted == {
        "id": berlin_id,
        "memory": "User lives in Berlin",
        "event": "DELETE",
        "superseded_by": added["id"],
    }
    assert second["relations"]["superseded"] == [berlin_id]
    assert [
        (r["source"], r["relationship"], r["destination"])
        for r in second["relations"]["deleted_entities"]
    ] == [(user_id, "LIVES_IN", "Berlin")]
    lives = {r["target"]: r for r in relations_of(mem, user_id)}
    # The move (2026-03-01) is older than the statement about Berlin (now): Berlin ends,
    # but never before it began (graphmem/validity.py).
    assert lives["Berlin"]["valid_to"] == lives["Berlin"]["valid_from"]
    assert lives["Amsterdam"]["valid_from"].to_native().date().isoformat() == "2026-03-01"
    assert lives["Amsterdam"]["valid_to"] is None


def test_the_episode_is_written_before_the_llm_is_asked(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    seen: list[list[dict[str, Any]]] = []

    def answer(request: Any) -> str:
        seen.append(
            rows(
                memory,
                "MATCH (ep:Episode {user_id: $uid}) RETURN ep.status AS status, "
                "ep.messages AS messages",
                uid=user_id,
            )
        )
        return json.dumps(LIVES_IN_BERLIN)

    scripted_llm.responder = answer
    result = mem.add("I live in Berlin.", user_id=user_id)
    assert seen[0][0]["status"] == "pending" and "I live in Berlin." in seen[0][0]["messages"]
    episode = rows(
        memory, "MATCH (ep:Episode {id: $id}) RETURN ep.status AS s", id=result["episode_id"]
    )
    assert episode == [{"s": "extracted"}]


# ---- idempotence, duplicates, infer=False ---------------------------------------------------


def test_reextracting_an_episode_writes_nothing_twice(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    scripted_llm.script([json.dumps(LIVES_IN_BERLIN)])
    first = mem.add("I live in Berlin.", user_id=user_id)
    before = _scope_counts(memory, user_id)
    scripted_llm.script([json.dumps(LIVES_IN_BERLIN)])
    again = mem.reextract(first["episode_id"])
    assert again["results"] == [
        {"id": first["results"][0]["id"], "memory": "User lives in Berlin", "event": "NONE"}
    ]
    assert again["usage"]["llm_calls"] == 1  # an exact duplicate needs no resolution call
    assert _scope_counts(memory, user_id) == before


def test_the_same_fact_in_a_later_add_is_none_and_counts_a_mention(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    scripted_llm.script([json.dumps(LIVES_IN_BERLIN), json.dumps(LIVES_IN_BERLIN)])
    first = mem.add("I live in Berlin.", user_id=user_id)
    second = mem.add("As I said, I live in Berlin.", user_id=user_id)
    fact_id = first["results"][0]["id"]
    assert second["results"] == [{"id": fact_id, "memory": "User lives in Berlin", "event": "NONE"}]
    fact = rows(
        memory,
        "MATCH (f:Fact {id: $id}) RETURN f.mentions AS mentions, "
        "COUNT { (f)-[:FROM]->(:Episode) } AS episodes",
        id=fact_id,
    )
    assert fact == [{"mentions": 2, "episodes": 2}]


def test_infer_false_takes_the_same_path_without_an_llm(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    first = memory.add("My favourite colour is teal.", user_id=user_id, infer=False)
    second = memory.add("My favourite colour is teal.", user_id=user_id, infer=False)
    assert first["results"][0]["event"] == "ADD"
    assert second["results"][0]["event"] == "NONE"
    assert first["usage"]["llm_calls"] == 0 and second["usage"]["llm_calls"] == 0
    assert scripted_llm.chat_requests == []


# ---- delete, delete_all, update, history ----------------------------------------------------


def _scope_counts(memory: Memory, uid: str) -> dict[str, int]:
    return rows(
        memory,
        "RETURN COUNT { MATCH (f:Fact {user_id: $uid}) } AS facts, "
        "COUNT { MATCH (e:Entity {user_id: $uid}) } AS entities, "
        "COUNT { MATCH (:Entity {user_id: $uid})-[r]->(:Entity) } AS relations, "
        "COUNT { MATCH (ep:Episode {user_id: $uid}) } AS episodes",
        uid=uid,
    )[0]


@pytest.fixture
def bystander(memory: Memory) -> Iterator[str]:
    """Another user's memories, which no operation on the test's scope may touch."""
    uid = f"bystander-{uuid.uuid4().hex[:10]}"
    memory.add_facts(
        [
            {
                "text": "Bystander lives in Berlin",
                "relations": [{"source": "Bystander", "relation": "LIVES_IN", "target": "Berlin"}],
            }
        ],
        user_id=uid,
    )
    yield uid
    memory.reset(user_id=uid)


def _two_facts(mem: Memory, server: ScriptedLLMServer, uid: str) -> dict[str, Any]:
    extraction = {
        "facts": [
            {"id": 1, "text": "User lives in Berlin", "entities": ["User", "Berlin"]},
            {"id": 2, "text": "User owns a cat named Miso", "entities": ["User", "Miso"]},
        ],
        "entities": [
            {"name": "User", "type": "Person"},
            {"name": "Berlin", "type": "City"},
            {"name": "Miso", "type": "Pet"},
        ],
        "relations": [
            {"source": "User", "type": "LIVES_IN", "target": "Berlin", "fact": 1},
            {"source": "User", "type": "OWNS", "target": "Miso", "fact": 2},
        ],
    }
    server.script([json.dumps(extraction)])
    return mem.add("I live in Berlin with my cat Miso.", user_id=uid)


def test_delete_removes_the_fact_its_relations_and_orphans_only(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, bystander: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    added = _two_facts(mem, scripted_llm, user_id)
    cat_fact = next(r["id"] for r in added["results"] if "Miso" in r["memory"])
    others = _scope_counts(memory, bystander)
    assert mem.delete(cat_fact, user_id=user_id)["id"] == cat_fact
    names = rows(memory, "MATCH (e:Entity {user_id: $uid}) RETURN e.name AS n", uid=user_id)
    assert sorted(n["n"] for n in names) == sorted([user_id, "Berlin"])  # Miso was orphaned
    assert [r["type"] for r in relations_of(memory, user_id)] == ["LIVES_IN"]
    assert _scope_counts(memory, bystander) == others
    history = mem.history(cat_fact)
    assert [h["event"] for h in history] == ["ADD", "DELETE"]
    assert history[-1]["old_memory"] == "User owns a cat named Miso"


def test_delete_refuses_a_memory_of_another_scope(
    memory: Memory, user_id: str, bystander: str
) -> None:
    from graphmem.errors import NotFoundError

    fact_id = rows(memory, "MATCH (f:Fact {user_id: $uid}) RETURN f.id AS id", uid=bystander)[0]
    with pytest.raises(NotFoundError):
        memory.delete(fact_id["id"], user_id=user_id)
    assert _scope_counts(memory, bystander)["facts"] == 1


def test_delete_all_and_reset_touch_only_their_scope(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, bystander: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    _two_facts(mem, scripted_llm, user_id)
    others = _scope_counts(memory, bystander)
    assert mem.delete_all(user_id=user_id)["deleted"] == 2
    after = _scope_counts(memory, user_id)
    assert (after["facts"], after["entities"], after["relations"]) == (0, 0, 0)
    assert after["episodes"] == 1  # the raw episode stays until reset()
    assert _scope_counts(memory, bystander) == others
    memory.reset(user_id=user_id)
    assert _scope_counts(memory, user_id) == {
        "facts": 0,
        "entities": 0,
        "relations": 0,
        "episodes": 0,
    }
    assert _scope_counts(memory, bystander) == others


def test_update_reembeds_and_logs(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    added = _two_facts(mem, scripted_llm, user_id)
    cat_fact = next(r["id"] for r in added["results"] if "Miso" in r["memory"])
    updated = mem.update(cat_fact, "User owns a tabby cat named Miso", user_id=user_id, infer=False)
    assert updated["previous_memory"] == "User owns a cat named Miso"
    scope = memory.store.read(
        "MATCH (s:Scope {user_id: $uid}) RETURN s.key AS key", {"uid": user_id}
    )
    assert scope
    query_vector = memory.embedder.embed_one("tabby cat")
    from graphmem.models import Scope
    from graphmem.store.recall_reads import RecallReads

    best = RecallReads(memory.store).nearest_facts(Scope(user_id=user_id), query_vector, 1)
    assert best[0].id == cat_fact
    stored = rows(memory, "MATCH (f:Fact {id: $id}) RETURN f.text AS t", id=cat_fact)
    assert stored == [{"t": "User owns a tabby cat named Miso"}]
    history = mem.history(cat_fact, user_id=user_id)
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    assert history[1]["old_memory"] == "User owns a cat named Miso"
    assert history[1]["actor"] == "caller"


def test_a_new_target_for_the_same_relation_is_asked_about_even_when_texts_differ(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    # "User lives in Amsterdam" scores 0.685 against "User lives in Berlin": below the
    # threshold, yet the current LIVES_IN Berlin makes the old fact a candidate.
    mem = memory_on_scripted_llm(memory, scripted_llm)
    amsterdam = {
        "facts": [{"id": 1, "text": "User lives in Amsterdam", "entities": ["User", "Amsterdam"]}],
        "entities": [{"name": "Amsterdam", "type": "City"}],
        "relations": [{"source": "User", "type": "LIVES_IN", "target": "Amsterdam", "fact": 1}],
    }
    contradicts = {"facts": [{"id": 1, "event": "CONTRADICTS", "existing": [2]}]}
    scripted_llm.script(
        [json.dumps(LIVES_IN_BERLIN), json.dumps(amsterdam), json.dumps(contradicts)]
    )
    mem.add("I live in Berlin.", user_id=user_id)
    second = mem.add("I live in Amsterdam now.", user_id=user_id)
    asked = json.loads(scripted_llm.chat_requests[-1].messages[-1]["content"])
    offered = asked["new_facts"][0]["existing_facts"]
    assert [(c["id"], c["text"]) for c in offered] == [(2, "User lives in Berlin")]
    assert offered[0]["valid_from"] and offered[0]["stated_on"]  # the dates decide, not order
    assert second["usage"]["llm_calls"] == 2
    assert [r["event"] for r in second["results"]] == ["ADD", "DELETE"]
    lives = {r["target"]: r for r in relations_of(memory, user_id)}
    assert lives["Berlin"]["invalidated_at"] is not None
    assert lives["Amsterdam"]["invalidated_at"] is None


def test_pre_extracted_facts_take_the_same_path_without_an_llm(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    from datetime import datetime, timezone

    from graphmem import drafts, ingest, inputs

    facts = inputs.facts(
        [
            {
                "text": "Ada works at Initech",
                "entities": [{"name": "Ada", "type": "Person"}],
                "relations": [{"source": "Ada", "relation": "works at", "target": "Initech"}],
                "valid_from": "2024-02-01T00:00:00+00:00",
            },
            {"text": "Ada likes chess", "entities": [{"name": "ada", "type": "Person"}]},
        ]
    )
    scope = inputs.scope(user_id, None, None)

    def write(items: list[Any]) -> dict[str, Any]:
        episode_id = str(uuid.uuid4())
        turns = inputs.messages([f.text for f in items])
        memory.store.write_episode(episode_id, scope, turns, infer=False)
        ctx = ingest.WriteContext(
            memory.store,
            memory.embedder,
            scope,
            episode_id,
            datetime.now(timezone.utc),
            memory.settings.similarity_threshold,
            actor="import",
        )
        return ingest.add_drafts(ctx, drafts.drafts_from_inputs(items), llm=None)

    first = write(facts)
    again = write(facts)
    assert [r["event"] for r in first["results"]] == ["ADD", "ADD"]
    assert [r["event"] for r in again["results"]] == ["NONE", "NONE"]
    assert first["usage"]["llm_calls"] == 0 and scripted_llm.chat_requests == []
    people = rows(memory, "MATCH (e:Person {user_id: $uid}) RETURN e.name AS n", uid=user_id)
    assert people == [{"n": "Ada"}]  # "ada" merged by exact key
    works = [r for r in relations_of(memory, user_id) if r["type"] == "WORKS_AT"]
    assert [(r["source"], r["target"]) for r in works] == [("Ada", "Initech")]
