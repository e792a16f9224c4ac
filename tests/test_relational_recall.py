"""Relational recall on the real Neo4j and the real embedder: role words matched to relation
types by meaning (inverses, the scope's own words), the user as an anchor, chains of up to
three relations, and exactness under filters and time."""

from __future__ import annotations

from datetime import datetime

import pytest

from graphmem.config import Settings
from graphmem.domain import DomainSchema
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.paths import PathSettings, best_matches, describe
from graphmem.recall import Recaller, Request
from graphmem.relations import CueMatcher, agent_nouns, type_descriptions
from graphmem.store.recall_reads import RecallReads
from graphmem.store.recall_rows import Vocabulary
from graphmem.words import content_words

TYPES = ["SISTER_OF", "BROTHER_OF", "MARRIED_TO", "MANAGES", "REPORTS_TO", "OWNS", "LIVES_IN",
         "WORKS_AT", "FRIEND_OF", "HEADQUARTERED_IN"]  # fmt: skip
THRESHOLD = PathSettings().threshold


def fact(text: str, source: str, relation: str, target: str, **extra: object) -> dict:
    return {
        "text": text,
        "entities": [source, target],
        "relations": [{"source": source, "relation": relation, "target": target}],
        **extra,
    }


def _texts(result: dict) -> list[str]:
    return [r["memory"] for r in result["results"]]


def _vector_only(memory: Memory, question: str, user_id: str, k: int) -> list[str]:
    recaller = Recaller(RecallReads(memory.store), memory.embedder, 0.7)
    found = recaller.search(Request(question, Scope(user_id=user_id), top_k=k, mode="vector"))
    return _texts(found)


@pytest.fixture(scope="module")
def matcher(embedder: LocalEmbedder) -> CueMatcher:
    return CueMatcher(embedder)


def _best(matcher: CueMatcher, cue: str, vocabulary: dict[str, list[str]] | None = None) -> dict:
    descriptions = {t: type_descriptions(t, (vocabulary or {}).get(t, [])) for t in TYPES}
    return best_matches(matcher, [cue], descriptions)


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        ("husband", "MARRIED_TO"),
        ("wife", "MARRIED_TO"),
        ("manager", "MANAGES"),
        ("owner", "OWNS"),
        ("sister", "SISTER_OF"),
        ("live", "LIVES_IN"),
        ("headquarters", "HEADQUARTERED_IN"),
    ],
)
def test_role_words_find_their_relation_type_by_meaning(
    matcher: CueMatcher, cue: str, expected: str
) -> None:
    weights = _best(matcher, cue)
    assert max(weights, key=weights.__getitem__) == expected
    assert weights[expected] >= THRESHOLD


def test_a_sibling_stored_from_the_other_end_still_matches(matcher: CueMatcher) -> None:
    # "Alice's brother" when the memory says "Alice SISTER_OF Bob" (Alice is Bob's sister).
    weights = _best(matcher, "brother")
    assert weights["SISTER_OF"] >= THRESHOLD and weights["BROTHER_OF"] >= THRESHOLD
    assert weights["FRIEND_OF"] < weights["SISTER_OF"]


def test_the_scopes_own_words_describe_a_type(matcher: CueMatcher) -> None:
    # "boss" is not what REPORTS_TO says, but what this memory's facts call it.
    assert _best(matcher, "boss")["REPORTS_TO"] < THRESHOLD
    said = ["|", "reports", "|", "reports", "directly", "boss", "|", "reports", "boss"]
    assert _best(matcher, "boss", {"REPORTS_TO": said})["REPORTS_TO"] == 1.0
    # A word one fact in ten uses is a stray, not a description...
    strays = [w for i in range(10) for w in ("|", "works", *(["engineer"] if i < 1 else []))]
    assert "engineer" not in type_descriptions("WORKS_AT", strays)
    # ...and a generic type whose facts say all sorts of things has no words of its own.
    topics = "pottery camping adoption painting violin hiking books kids art dance yoga pride"
    varied = [w for topic in topics.split() * 2 for w in ("|", topic)]  # each in 2 of 24
    assert not set(topics.split()) & set(type_descriptions("MENTIONS", varied))


def test_a_role_noun_finds_the_type_named_by_its_verb(matcher: CueMatcher) -> None:
    # "boss" is neither a stem nor a near meaning of "supervises" (cosine 0.46), but of the
    # verb's agent noun "supervisor": role questions ask for the one who does it.
    assert agent_nouns("supervises") == ["superviser", "supervisor"]
    assert agent_nouns("owns") == ["owner", "ownor"] and agent_nouns("sister") == []
    descriptions = {t: type_descriptions(t) for t in ["SUPERVISES", "SISTER_OF", "LIVES_IN"]}
    weights = best_matches(matcher, ["boss"], descriptions)
    assert weights["SUPERVISES"] >= THRESHOLD
    assert max(weights, key=weights.__getitem__) == "SUPERVISES"


def test_the_boss_is_found_where_no_fact_says_boss(memory: Memory, user_id: str) -> None:
    chain = [
        fact("Bruno Keller supervises Alice Moreau.", "Bruno Keller", "SUPERVISES",
             "Alice Moreau"),
        fact("Bruno Keller lives in Ghent.", "Bruno Keller", "LIVES_IN", "Ghent"),
    ]  # fmt: skip
    noise = [
        fact("Alice Moreau supervises Tim Roy.", "Alice Moreau", "SUPERVISES", "Tim Roy"),
        fact("Alice Moreau lives in Lyon.", "Alice Moreau", "LIVES_IN", "Lyon"),
        fact("Tim Roy lives in Oslo.", "Tim Roy", "LIVES_IN", "Oslo"),
        fact("Alice Moreau is Dana Kim's sister.", "Alice Moreau", "SISTER_OF", "Dana Kim"),
        fact("Dana Kim lives in Porto.", "Dana Kim", "LIVES_IN", "Porto"),
        *(fact(f"Alice Moreau went to the office party in town {i}.", "Alice Moreau",
               "VISITED", f"Town {i}") for i in range(12)),
    ]  # fmt: skip
    memory.add_facts(noise + chain, user_id=user_id)
    question = "In which city does Alice Moreau's boss live?"
    gold = [f["text"] for f in chain]
    assert not set(gold) <= set(_vector_only(memory, question, user_id, 5))

    found = memory.search(question, user_id=user_id, top_k=5)
    assert set(gold) <= set(_texts(found))


def test_function_words_and_names_are_never_cues() -> None:
    question = "Where does Alice Moreau's sister live, and in which city is it?"
    assert content_words(question, ["Alice Moreau"]) == ["sister", "live", "city"]
    assert content_words("Who is my wife's brother married to?") == ["wife", "brother", "married"]
    assert content_words("of in at to for by on the my") == []


def test_a_three_hop_chain_is_answered_through_the_graph(memory: Memory, user_id: str) -> None:
    chain = [
        fact("Carol Moreau is Alice Moreau's sister.", "Carol Moreau", "SISTER_OF",
             "Alice Moreau"),
        fact("Carol Moreau works at Tyrell Corp.", "Carol Moreau", "WORKS_AT", "Tyrell Corp"),
        fact("Tyrell Corp is headquartered in Utrecht.", "Tyrell Corp", "HEADQUARTERED_IN",
             "Utrecht"),
    ]  # fmt: skip
    noise = [
        fact("Alice Moreau works at Initech.", "Alice Moreau", "WORKS_AT", "Initech"),
        fact("Initech is headquartered in Lyon.", "Initech", "HEADQUARTERED_IN", "Lyon"),
        fact("Alice Moreau lives in Lyon.", "Alice Moreau", "LIVES_IN", "Lyon"),
        fact("Alice Moreau is friends with Dana Kim.", "Alice Moreau", "FRIEND_OF", "Dana Kim"),
        fact("Dana Kim works at Globex.", "Dana Kim", "WORKS_AT", "Globex"),
        fact("Globex is headquartered in Oslo.", "Globex", "HEADQUARTERED_IN", "Oslo"),
        *(fact(f"Alice Moreau visited the company office in city {i}.", "Alice Moreau",
               "VISITED", f"City {i}") for i in range(12)),
    ]  # fmt: skip
    memory.add_facts(noise + chain, user_id=user_id)
    question = "In which city is the company that Alice Moreau's sister works for headquartered?"
    gold = [f["text"] for f in chain]
    assert not set(gold) <= set(_vector_only(memory, question, user_id, 10))  # needs the graph

    found = memory.search(question, user_id=user_id, top_k=5)
    assert set(gold) <= set(_texts(found)[:5])
    assert "path" in found["results"][0]["provenance"]["found_by"]
    # The score shown is the one that ordered the results, within [0, 1].
    shown = [r["score"] for r in found["results"]]
    assert shown == sorted(shown, reverse=True) and all(0 <= x <= 1 for x in shown)
    assert all(0 <= x <= 1 for r in found["results"] for x in r["scores"].values())
    triples = {(r["source"], r["relation"], r["target"]) for r in found["relations"]}
    assert ("Tyrell Corp", "HEADQUARTERED_IN", "Utrecht") in triples


def test_my_anchors_the_users_own_entity(memory: Memory, user_id: str) -> None:
    chain = [
        fact("My wife is Emma Laurent.", "I", "MARRIED_TO", "Emma Laurent"),
        fact("Emma Laurent's brother is Tom Laurent.", "Tom Laurent", "BROTHER_OF",
             "Emma Laurent"),
        fact("Tom Laurent is married to Sara Costa.", "Tom Laurent", "MARRIED_TO", "Sara Costa"),
    ]  # fmt: skip
    noise = [
        fact("I live in Porto.", "I", "LIVES_IN", "Porto"),
        fact("My brother is Paul Novak.", "Paul Novak", "BROTHER_OF", "I"),
        fact("Paul Novak is married to Ines Kim.", "Paul Novak", "MARRIED_TO", "Ines Kim"),
        fact("Ruth Weber is married to Omar Quinn.", "Ruth Weber", "MARRIED_TO", "Omar Quinn"),
        fact("Omar Quinn's brother is Leo Quinn.", "Leo Quinn", "BROTHER_OF", "Omar Quinn"),
        *(fact(f"Someone's brother got married in town {i}.", f"Person {i}", "MARRIED_TO",
               f"Partner {i}") for i in range(10)),
    ]  # fmt: skip
    memory.add_facts(noise + chain, user_id=user_id)
    question = "Who is my wife's brother married to?"
    gold = [f["text"] for f in chain]
    assert not set(gold) <= set(_vector_only(memory, question, user_id, 10))

    found = memory.search(question, user_id=user_id, top_k=5)
    assert set(gold) <= set(_texts(found))


def test_paths_walk_only_what_the_caller_may_see(memory: Memory, user_id: str) -> None:
    memory.add_facts(
        [
            fact("Beth Silva is Alice Silva's sister.", "Beth Silva", "SISTER_OF", "Alice Silva",
                 metadata={"room": "a"}),
            fact("Beth Silva lives in Lisbon.", "Beth Silva", "LIVES_IN", "Lisbon",
                 metadata={"room": "b"}, valid_from="2015-01-01T00:00:00Z"),
            fact("Beth Silva lived in Rome.", "Beth Silva", "LIVES_IN", "Rome",
                 metadata={"room": "a"}, valid_from="2010-01-01T00:00:00Z",
                 valid_to="2015-01-01T00:00:00Z"),
        ],
        user_id=user_id,
    )  # fmt: skip
    question = "Where does Alice Silva's sister live?"
    now = _texts(memory.search(question, user_id=user_id, top_k=5, filters={"room": "a"}))
    assert "Beth Silva is Alice Silva's sister." in now
    assert "Beth Silva lives in Lisbon." not in now  # another room
    assert "Beth Silva lived in Rome." not in now  # no longer true
    then = memory.search(question, user_id=user_id, top_k=5, as_of=datetime(2012, 6, 1))
    assert "Beth Silva lived in Rome." in _texts(then)
    assert "Beth Silva lives in Lisbon." not in _texts(then)


def test_a_domain_schemas_descriptions_describe_its_types(
    matcher: CueMatcher, settings: Settings, embedder: LocalEmbedder
) -> None:
    vocabulary = Vocabulary({"ALLERGIC_TO": [], "LIKES": []}, [])
    plain = describe(vocabulary)
    declared = describe(vocabulary, {"ALLERGIC_TO": "The person reacts badly to the food"})
    assert best_matches(matcher, ["react"], plain.relations)["ALLERGIC_TO"] < THRESHOLD
    assert best_matches(matcher, ["react"], declared.relations)["ALLERGIC_TO"] == 1.0
    domain = DomainSchema(relation_types={"ALLERGIC_TO": "The person reacts badly to the food"})
    with Memory(settings, embedder=embedder, domain=domain) as memory:
        assert memory._recaller().relation_descriptions == domain.relation_descriptions()
