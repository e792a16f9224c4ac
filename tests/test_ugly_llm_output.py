"""Ugly LLM output, end to end: each fixture is repaired or fails clearly, nothing else breaks.

Each case scripts the fixtures/llm/ugly/<name>.txt answer (and <name>.repair.txt for the one
repair turn, when there is one) on the real HTTP boundary. Afterwards: the Episode is kept,
another user's memories are unchanged, and every label and relationship type in the database
is in graphmem's strict alphabet: hostile text reached Neo4j only as parameter values.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest

from graphmem.errors import ExtractionError
from graphmem.memory import Memory
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import FIXTURES_DIR, ScriptedLLMServer

UGLY = FIXTURES_DIR / "ugly"
RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
LABEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Case:
    calls: int  # LLM calls the add makes (2 = one repair turn)
    ok: bool = True
    relation: str | None = None  # the relationship type expected in the scope
    label: str | None = None  # an entity label expected in the scope


CASES: dict[str, Case] = {
    "fenced": Case(1, relation="LIVES_IN", label="City"),
    "think_tags": Case(1, relation="LIVES_IN"),
    "think_unclosed_drafts": Case(1, relation="LIVES_IN"),
    "prose_around": Case(1, relation="LIVES_IN"),
    "trailing_commas": Case(1, relation="LIVES_IN"),
    "array_wrapped": Case(1, relation="LIVES_IN"),
    "json_in_string": Case(1, relation="LIVES_IN"),
    "wrong_field_names": Case(1, relation="LIVES_IN", label="City"),
    "truncated": Case(2, relation="LIVES_IN"),
    "wrong_shape": Case(2, relation="LIVES_IN"),
    "invented_fact_id": Case(2, relation="LIVES_IN"),
    "empty_answer": Case(2, relation="LIVES_IN"),
    "hostile_relation_type": Case(1, relation="KNOWS_X_DETACH_DELETE_X"),
    "backtick_entity_type": Case(1, relation="OWNS", label="DeviceMATCHNDETACHDELETEN"),
    "reserved_label_type": Case(1, relation="KEEPS", label="Thing"),
    "unicode_relation_type": Case(1, relation="RELATED_TO", label="Thing"),
    "hostile_names": Case(1, relation="OWNS", label="Pet"),
    "truncated_twice": Case(2, ok=False),
    "no_json": Case(2, ok=False),
    "duplicate_fact_ids": Case(2, ok=False),
}


def test_the_corpus_is_complete() -> None:
    on_disk = {p.name.removesuffix(".txt") for p in UGLY.glob("*.txt") if ".repair" not in p.name}
    assert on_disk == set(CASES)
    assert len(CASES) >= 15
    for name, case in CASES.items():
        assert (UGLY / f"{name}.repair.txt").is_file() == (case.calls == 2), name


def rows(memory: Memory, statement: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in memory.store.read(statement, params)]


def snapshot(memory: Memory, uid: str) -> list[Any]:
    """Everything stored for a user, as comparable values."""
    nodes = rows(
        memory,
        "MATCH (n) WHERE n.user_id = $uid RETURN labels(n) AS labels, "
        "n {.*, embedding: null, updated_at: null} AS props ORDER BY n.id",
        uid=uid,
    )
    rels = rows(
        memory,
        "MATCH (a {user_id: $uid})-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b "
        "ORDER BY a, type, b",
        uid=uid,
    )
    return [*nodes, *rels]


@pytest.fixture(scope="module")
def bystander(memory: Memory) -> Iterator[str]:
    uid = f"bystander-{uuid.uuid4().hex[:10]}"
    memory.add_facts(
        [
            {
                "text": "Bystander knows Mallory",
                "relations": [{"source": "Bystander", "relation": "KNOWS", "target": "Mallory"}],
            }
        ],
        user_id=uid,
    )
    yield uid
    memory.reset(user_id=uid)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ugly_output_is_repaired_or_a_clear_error(
    name: str,
    memory: Memory,
    scripted_llm: ScriptedLLMServer,
    user_id: str,
    bystander: str,
) -> None:
    case = CASES[name]
    mem = memory_on_scripted_llm(memory, scripted_llm)
    answers = [f"ugly/{name}.txt"] + ([f"ugly/{name}.repair.txt"] if case.calls == 2 else [])
    scripted_llm.script_fixture(*answers)
    before = snapshot(memory, bystander)

    if case.ok:
        result = mem.add("Something worth remembering.", user_id=user_id)
        assert result["usage"]["llm_calls"] == case.calls
        assert [r["event"] for r in result["results"]] == ["ADD"]
        episode = rows(
            memory, "MATCH (ep:Episode {id: $id}) RETURN ep.status AS s", id=result["episode_id"]
        )
        assert episode == [{"s": "extracted"}]
        types = {r["type"] for r in _relations(memory, user_id)}
        assert types == {case.relation}
        if case.label:
            assert case.label in _labels(memory, user_id)
    else:
        with pytest.raises(ExtractionError) as err:
            mem.add("Something worth remembering.", user_id=user_id)
        assert err.value.episode_id is not None
        assert "reextract" in str(err.value)
        episode = rows(
            memory,
            "MATCH (ep:Episode {id: $id}) RETURN ep.status AS s, ep.error AS error, "
            "ep.messages AS messages",
            id=err.value.episode_id,
        )
        assert episode[0]["s"] == "failed" and episode[0]["error"]
        assert "Something worth remembering." in episode[0]["messages"]
        facts = rows(memory, "MATCH (f:Fact {user_id: $uid}) RETURN f.id AS id", uid=user_id)
        assert facts == []

    assert len(scripted_llm.chat_requests) == case.calls
    assert scripted_llm.remaining == 0
    assert snapshot(memory, bystander) == before
    _assert_strict_alphabet(memory)


def test_the_repair_turn_quotes_the_validation_error(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    scripted_llm.script_fixture("ugly/invented_fact_id.txt", "ugly/invented_fact_id.repair.txt")
    mem.add("I live in Berlin.", user_id=user_id)
    repair = scripted_llm.chat_requests[1].messages
    assert repair[-2]["role"] == "assistant" and '"fact": 7' in repair[-2]["content"]
    assert repair[-1]["role"] == "user"
    assert "fact ids [7]" in repair[-1]["content"] and "[1]" in repair[-1]["content"]


def test_a_failed_episode_can_be_reextracted(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    scripted_llm.script_fixture("ugly/no_json.txt", "ugly/no_json.repair.txt")
    when = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    with pytest.raises(ExtractionError) as err:
        mem.add("I live in Berlin.", user_id=user_id, metadata={"source": "chat"}, timestamp=when)
    scripted_llm.script_fixture("ugly/fenced.txt")
    result = mem.reextract(str(err.value.episode_id))
    assert result["episode_id"] == err.value.episode_id
    assert [r["memory"] for r in result["results"]] == ["User lives in Berlin"]
    assert "I live in Berlin." in scripted_llm.chat_requests[-1].prompt_text
    assert "message time 2025-06-01T12:00:00+00:00" in scripted_llm.chat_requests[-1].prompt_text
    kept = rows(
        memory,
        "MATCH (f:Fact {id: $id}) RETURN f['meta.source'] AS source",
        id=result["results"][0]["id"],
    )
    assert kept == [{"source": "chat"}]
    status = rows(
        memory, "MATCH (ep:Episode {id: $id}) RETURN ep.status AS s", id=err.value.episode_id
    )
    assert status == [{"s": "extracted"}]


def test_invented_ids_in_the_resolution_answer_are_ignored(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    scripted_llm.script_fixture("ugly/fenced.txt")
    first = mem.add("I live in Berlin.", user_id=user_id)
    munich = (
        '{"facts": [{"id": 1, "text": "User lives near Munich", "entities": ["User", "Munich"]}],'
        ' "entities": [{"name": "Munich", "type": "City"}],'
        ' "relations": [{"source": "User", "type": "LIVES_NEAR", "target": "Munich", "fact": 1}]}'
    )
    invented = (
        '{"entities": [{"id": 1, "same_as": "8c1f2a4e-0000-4000-8000-000000000000"}],'
        ' "facts": [{"id": 3, "event": "CONTRADICTS", "existing": [99, "abc"]}]}'
    )
    scripted_llm.script([munich, invented])
    second = mem.add("I live near Munich.", user_id=user_id)
    assert second["usage"]["llm_calls"] == 2
    assert [r["event"] for r in second["results"]] == ["ADD"]
    cities = rows(
        memory, "MATCH (e:City {user_id: $uid}) RETURN e.name AS n ORDER BY n", uid=user_id
    )
    assert cities == [{"n": "Berlin"}, {"n": "Munich"}]
    status = rows(
        memory, "MATCH (f:Fact {id: $id}) RETURN f.status AS s", id=first["results"][0]["id"]
    )
    assert status == [{"s": "active"}]


def _relations(memory: Memory, uid: str) -> list[dict[str, Any]]:
    return rows(
        memory,
        "MATCH (:Entity {user_id: $uid})-[r]->(:Entity) RETURN type(r) AS type",
        uid=uid,
    )


def _labels(memory: Memory, uid: str) -> set[str]:
    found = rows(memory, "MATCH (e:Entity {user_id: $uid}) RETURN labels(e) AS labels", uid=uid)
    return {label for row in found for label in row["labels"]}


def _assert_strict_alphabet(memory: Memory) -> None:
    types = rows(
        memory, "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS t"
    )
    labels = rows(memory, "CALL db.labels() YIELD label RETURN label AS l")
    assert all(RELATION_TYPE.fullmatch(t["t"]) for t in types), types
    assert all(LABEL.fullmatch(lb["l"]) for lb in labels), labels
