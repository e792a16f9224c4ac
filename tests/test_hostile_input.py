"""Hostile and malformed input: each a clear error and the database unchanged, or, where the
input is acceptable text, stored as plain data. Cypher is never built from it.

How a Cypher injection would show: a canary node outside graphmem that must survive, the
database's shape outside the test scope (node counts per label, relationship counts per type,
labels, types, constraints, indexes: tests/invariants.snapshot) unchanged, and nothing but
sanitised labels and relationship types inside the scope.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from neo4j import Driver

from graphmem.errors import GraphMemError, InputError, NotFoundError
from graphmem.identifiers import entity_type
from graphmem.memory import Memory
from tests import invariants
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import ScriptedLLMServer

RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
ENTITY_LABEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# Strings built to break out of a Cypher identifier, literal, label or Lucene query.
HOSTILE = [
    "KNOWS]->(x) DETACH DELETE x //",
    "`) MATCH (n) DETACH DELETE n //",
    "'}) MATCH (n) DETACH DELETE n RETURN 1 //",
    '"}) CALL db.clearQueryCaches() //',
    "x} RETURN 1 UNION MATCH (n) DETACH DELETE n //",
    "Person:Admin",
    "Entity",
    "$user_id",
    "\\u0060); DROP CONSTRAINT graphmem_entity_scope_key //",
    "Robert'); DROP TABLE Students;--",
    "ЖИВЁТ В",
    "1st place",
    ")",
]
LUCENE = ['name:"x" OR *:*', "foo~ [a TO z] \\", '"unterminated', "*", "AND OR NOT", "/re/", "(("]


@pytest.fixture(scope="module")
def canary(memory: Memory) -> Iterator[str]:
    """A node graphmem never touches; every test checks it is still there."""
    canary_id = uuid.uuid4().hex
    memory.store.driver.execute_query(
        "CREATE (:HostileInputCanary {id: $id})", id=canary_id, database_=memory.store.database
    )
    yield canary_id
    records, _, _ = memory.store.driver.execute_query(
        "MATCH (c:HostileInputCanary {id: $id}) DETACH DELETE c RETURN count(*) AS n",
        id=canary_id,
        database_=memory.store.database,
    )
    assert records[0]["n"] == 1


def canary_alive(driver: Driver, database: str, canary_id: str) -> bool:
    records, _, _ = driver.execute_query(
        "MATCH (c:HostileInputCanary {id: $id}) RETURN count(c) AS n",
        id=canary_id,
        database_=database,
    )
    return records[0]["n"] == 1


# ---- refused: a clear error, the database unchanged ----------------------------------------

Call = Callable[[Memory, str], Any]
BIG = "x" * 40_000
# The last second of year 9999 at UTC-14: year 10000 in UTC, which nothing can hold.
LAST_MOMENT = "9999-12-31T23:59:59-14:00"


def nested_filter(depth: int) -> dict[str, Any]:
    """{"AND": [{"AND": [... {"room": "x"} ...]}]}, `depth` groups deep."""
    node: dict[str, Any] = {"room": "x"}
    for _ in range(depth):
        node = {"AND": [node]}
    return node


def _add(messages: Any, infer: bool = False, **kw: Any) -> Call:
    return lambda m, u: m.add(messages, user_id=u, infer=infer, **kw)


REFUSED: dict[str, tuple[Call, type[GraphMemError]]] = {
    "empty string": (_add(""), InputError),
    "blank string": (_add(" \n\t "), InputError),
    "empty list": (_add([]), InputError),
    "oversized message": (_add(BIG), InputError),
    "oversized, with inference": (_add(BIG, infer=True), InputError),
    "too many messages": (_add(["hi"] * 201), InputError),
    "unknown role": (_add([{"role": "wizard", "content": "hi"}]), InputError),
    "role missing": (_add([{"content": "hi"}]), InputError),
    "unknown message field": (_add([{"role": "user", "content": "hi", "x": 1}]), InputError),
    "bytes, invalid UTF-8": (_add(b"\xff\xfe\xfd"), InputError),
    "lone surrogate": (_add("I live in \ud800 Berlin"), InputError),
    "lone surrogate, inferred": (_add("I live in \udfff Berlin", infer=True), InputError),
    "not a message": (_add([42]), InputError),
    "metadata key with a backtick": (
        _add("hi", metadata={"a`) DETACH DELETE n //": 1}),
        InputError,
    ),
    "metadata key with spaces": (_add("hi", metadata={"bad key": 1}), InputError),
    "metadata key empty": (_add("hi", metadata={"": 1}), InputError),
    "metadata key dotted": (_add("hi", metadata={"a.b": 1}), InputError),
    "metadata key not a string": (_add("hi", metadata={1: "x"}), InputError),
    "metadata too deep": (_add("hi", metadata={"a": {"b": {"c": {"d": 1}}}}), InputError),
    "metadata value object": (_add("hi", metadata={"a": object()}), InputError),
    "metadata list of maps": (_add("hi", metadata={"a": [{"b": 1}]}), InputError),
    "metadata mixed list": (_add("hi", metadata={"a": [1, "x"]}), InputError),
    "metadata too long": (_add("hi", metadata={"a": "y" * 5000}), InputError),
    "metadata too many keys": (_add("hi", metadata={f"k{i}": i for i in range(65)}), InputError),
    "metadata not a mapping": (_add("hi", metadata=["a"]), InputError),  # type: ignore[arg-type]
    "facts empty": (lambda m, u: m.add_facts([], user_id=u), InputError),
    "facts a string": (lambda m, u: m.add_facts("x", user_id=u), InputError),  # type: ignore[arg-type]
    "fact text empty": (lambda m, u: m.add_facts([{"text": ""}], user_id=u), InputError),
    "fact unknown field": (
        lambda m, u: m.add_facts([{"text": "x", "y": 1}], user_id=u),
        InputError,
    ),
    "fact entity blank": (
        lambda m, u: m.add_facts([{"text": "x", "entities": ["  "]}], user_id=u),
        InputError,
    ),
    "fact triple incomplete": (
        lambda m, u: m.add_facts([{"text": "x", "relations": [{"source": "a"}]}], user_id=u),
        InputError,
    ),
    "fact lone surrogate": (lambda m, u: m.add_facts(["a \ud800 b"], user_id=u), InputError),
    "fact metadata hostile key": (
        lambda m, u: m.add_facts([{"text": "x", "metadata": {"k`": 1}}], user_id=u),
        InputError,
    ),
    "no scope": (lambda m, u: m.add("hi", infer=False), InputError),
    "scope id empty": (lambda m, u: m.add("hi", user_id="", infer=False), InputError),
    "scope id huge": (lambda m, u: m.add("hi", user_id="u" * 300, infer=False), InputError),
    "scope id not a string": (lambda m, u: m.add("hi", user_id=7, infer=False), InputError),  # type: ignore[arg-type]
    "search empty query": (lambda m, u: m.search("", user_id=u), InputError),
    "search top_k 0": (lambda m, u: m.search("x", user_id=u, top_k=0), InputError),
    "update to empty": (lambda m, u: m.update("no-such-id", "", user_id=u), InputError),
    "entity history blank": (lambda m, u: m.entity_history(" ", user_id=u), InputError),
    "get_all limit 0": (lambda m, u: m.get_all(user_id=u, limit=0), InputError),
    "delete unknown id": (lambda m, u: m.delete("' OR 1=1 //", user_id=u), NotFoundError),
    "update unknown id": (lambda m, u: m.update("x`})//", "new", user_id=u), NotFoundError),
    # Issue 13: wrong types are InputErrors (they were TypeErrors, or went through).
    "add_facts metadata a list": (
        lambda m, u: m.add_facts(["x500"], user_id=u, metadata=[1, 2]),  # type: ignore[arg-type]
        InputError,
    ),
    "add_facts metadata a string": (
        lambda m, u: m.add_facts(["x"], user_id=u, metadata="abc"),  # type: ignore[arg-type]
        InputError,
    ),
    "facts a number": (lambda m, u: m.add_facts(5, user_id=u), InputError),  # type: ignore[arg-type]
    "metadata NaN": (_add("hi", metadata={"n": float("nan")}), InputError),
    "metadata infinity": (_add("hi", metadata={"n": [1.0, float("inf")]}), InputError),
    "fact metadata NaN": (
        lambda m, u: m.add_facts([{"text": "x", "metadata": {"n": float("nan")}}], user_id=u),
        InputError,
    ),
    "timestamp not a datetime": (_add("hi", timestamp="yesterday"), InputError),
    "timestamp offset past 18 hours": (
        _add("hi", timestamp="2024-01-01T00:00:00-23:19"),
        InputError,
    ),
    "message timestamp offset past 18 hours": (
        _add([{"role": "user", "content": "hi", "timestamp": "2024-01-01T00:00:00+18:01"}]),
        InputError,
    ),
    "fact valid_from past year 9999 in UTC": (
        lambda m, u: m.add_facts([{"text": "x", "valid_from": LAST_MOMENT}], user_id=u),
        InputError,
    ),
    "search query not a string": (lambda m, u: m.search(123, user_id=u), InputError),  # type: ignore[arg-type]
    "search top_k a string": (lambda m, u: m.search("x", user_id=u, top_k="5"), InputError),  # type: ignore[arg-type]
    "search top_k NaN": (
        lambda m, u: m.search("x", user_id=u, top_k=float("nan")),  # type: ignore[arg-type]
        InputError,
    ),
    # ISO text is an as_of since issue 12 ("2024-01-01"); text that is no date is not.
    "search as_of not a date": (lambda m, u: m.search("x", user_id=u, as_of="someday"), InputError),
    "search as_of past year 9999 in UTC": (
        lambda m, u: m.search("x", user_id=u, as_of=datetime.fromisoformat(LAST_MOMENT)),
        InputError,
    ),
    "get_all limit a string": (lambda m, u: m.get_all(user_id=u, limit="10"), InputError),  # type: ignore[arg-type]
    "entity history name a number": (lambda m, u: m.entity_history(5, user_id=u), InputError),  # type: ignore[arg-type]
    "delete id a number": (lambda m, u: m.delete(5, user_id=u), InputError),  # type: ignore[arg-type]
    "scope id a bool": (lambda m, u: m.add("hi", user_id=True, infer=False), InputError),  # type: ignore[arg-type]
}

BAD_FILTERS: dict[str, Any] = {
    "unknown operator": {"room": {"$regex": ".*"}},
    "operator 'exists'": {"room": {"exists": True}},
    "operator with a backtick": {"room": {"eq`] OR true //": 1}},
    "lowercase group": {"and": [{"room": "a"}]},
    "group not a list": {"AND": "room"},
    "empty group": {"OR": []},
    "key with a backtick": {"x` OR true //": 1},
    "key with spaces": {"room id": 1},
    "'in' without a list": {"room": {"in": "alpha"}},
    "list without 'in'": {"room": ["alpha"]},
    "map value": {"room": {"eq": {"a": 1}}},
    "ordered boolean": {"flag": {"gt": True}},
    "contains a number": {"room": {"contains": 3}},
    "too many leaves": {"AND": [{"room": str(i)} for i in range(101)]},
    "not a mapping": "room = 'alpha'",
    "nested 250 deep": nested_filter(250),
    "NaN value": {"priority": {"gt": float("nan")}},
    "infinite value": {"priority": {"in": [1, float("-inf")]}},
}
for _name, _filters in BAD_FILTERS.items():
    REFUSED[f"search filter: {_name}"] = (
        lambda m, u, f=_filters: m.search("x", user_id=u, filters=f),
        InputError,
    )
    REFUSED[f"get_all filter: {_name}"] = (
        lambda m, u, f=_filters: m.get_all(user_id=u, filters=f),
        InputError,
    )


@pytest.fixture
def seeded(memory: Memory, user_id: str) -> str:
    """The scope holds a little before the hostile call, so 'unchanged' means something."""
    memory.add_facts(
        [{"text": "Alice lives in Utrecht.", "entities": ["Alice", "Utrecht"]}],
        user_id=user_id,
        metadata={"room": "alpha"},
    )
    return user_id


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_input_is_a_clear_error_and_changes_nothing(
    memory: Memory, seeded: str, canary: str, case: str
) -> None:
    call, error = REFUSED[case]
    driver, db = memory.store.driver, memory.store.database
    before = invariants.snapshot(driver, db)
    scope_before = invariants.counts(driver, db, user_ids=[seeded])
    with pytest.raises(error) as caught:
        call(memory, seeded)
    assert str(caught.value).strip(), "the error must say what was wrong"
    assert invariants.snapshot(driver, db) == before
    assert invariants.counts(driver, db, user_ids=[seeded]) == scope_before
    assert canary_alive(driver, db, canary)


# ---- accepted as text: stored as plain data, sanitised where it names graph structure -------


def hostile_facts() -> list[dict[str, Any]]:
    facts = []
    for i, text in enumerate(HOSTILE):
        facts.append(
            {
                "text": f"Hostile note {i}: {text}",
                "entities": [
                    {"name": text, "type": HOSTILE[(i + 1) % len(HOSTILE)]},
                    {"name": f"Target {i}", "type": text},
                ],
                "relations": [{"source": text, "relation": text, "target": f"Target {i}"}],
                "metadata": {"note": text, "tags": [text, "x"], "__proto__": text},
            }
        )
    return facts


def assert_stored_as_data(memory: Memory, user_id: str, canary: str, before: Any) -> None:
    driver, db = memory.store.driver, memory.store.database
    assert canary_alive(driver, db, canary)
    assert invariants.snapshot(driver, db, exclude_user_ids=[user_id]) | {
        "labels": None,
        "types": None,
    } == before | {"labels": None, "types": None}
    records, _, _ = driver.execute_query(
        "MATCH (e:Entity {user_id: $u}) OPTIONAL MATCH (e)-[r]->(:Entity) "
        "RETURN e.name AS name, labels(e) AS labels, collect(type(r)) AS types",
        u=user_id,
        database_=db,
    )
    for record in records:
        assert all(RELATION_TYPE.fullmatch(t) for t in record["types"]), record
        assert "Entity" in record["labels"] and len(record["labels"]) == 2, record
        assert all(ENTITY_LABEL.fullmatch(label) for label in record["labels"]), record
        assert not {"Fact", "Episode", "Change", "Scope"} & set(record["labels"]), record
    report = invariants.check(driver, db, user_ids=[user_id])
    assert report.ok, report.describe()


def test_hostile_names_types_and_metadata_are_stored_as_data(
    memory: Memory, user_id: str, canary: str
) -> None:
    driver, db = memory.store.driver, memory.store.database
    before = invariants.snapshot(driver, db, exclude_user_ids=[user_id])
    added = memory.add_facts(hostile_facts(), user_id=user_id)["results"]
    assert len(added) == len(HOSTILE)
    assert_stored_as_data(memory, user_id, canary, before)
    names = {e["name"] for e in memory.entities(user_id=user_id, limit=1000)["results"]}
    assert set(HOSTILE) <= names  # names are data, verbatim
    for row, text in zip(added, HOSTILE, strict=True):
        item = memory.get(row["id"], user_id=user_id)
        assert item is not None
        assert item["metadata"] == {"note": text, "tags": [text, "x"], "__proto__": text}


def test_hostile_reads_find_nothing_and_break_nothing(
    memory: Memory, seeded: str, canary: str
) -> None:
    driver, db = memory.store.driver, memory.store.database
    before = invariants.snapshot(driver, db)
    for text in HOSTILE + LUCENE:
        found = memory.search(text, user_id=seeded)["results"]
        assert all(r["user_id"] == seeded for r in found)
        if text != "*":  # "*" is the filter language's "key is set"
            assert memory.get_all(user_id=seeded, filters={"room": text})["results"] == []
        assert memory.get_all(user_id=seeded, filters={"room": {"in": [text]}})["results"] == []
        assert memory.get(text) is None
        assert memory.entity_history(text, user_id=seeded) is None
        assert memory.relations(user_id=seeded, type=text) == {"results": []}
        # types are stored sanitised and the filter is sanitised alike ("Entity" -> Thing)
        typed = memory.entities(user_id=seeded, type=text)["results"]
        assert all(e["type"] == entity_type(text) and e["user_id"] == seeded for e in typed)
        assert memory.search("x", user_id=text)["results"] == []
    assert invariants.snapshot(driver, db) == before
    assert canary_alive(driver, db, canary)


def test_hostile_llm_output_is_stored_as_data(
    memory: Memory, user_id: str, canary: str, scripted_llm: ScriptedLLMServer
) -> None:
    facts = [
        {"id": i + 1, "text": f"Hostile claim {i}: {t}", "entities": [t, "Anchor"]}
        for i, t in enumerate(HOSTILE)
    ]
    entities = [{"name": t, "type": t} for t in HOSTILE] + [{"name": "Anchor", "type": "Entity"}]
    relations = [
        {"source": t, "type": t, "target": "Anchor", "fact": i + 1} for i, t in enumerate(HOSTILE)
    ]
    scripted_llm.script(
        [json.dumps({"facts": facts, "entities": entities, "relations": relations})]
    )
    scripted_llm.responder = lambda request: json.dumps({"entities": [], "facts": []})
    mem = memory_on_scripted_llm(memory, scripted_llm)
    driver, db = memory.store.driver, memory.store.database
    before = invariants.snapshot(driver, db, exclude_user_ids=[user_id])
    result = mem.add("Tell me something hostile.", user_id=user_id)
    assert len(result["results"]) == len(HOSTILE)
    assert all(
        RELATION_TYPE.fullmatch(r["relationship"]) for r in result["relations"]["added_entities"]
    )
    assert_stored_as_data(memory, user_id, canary, before)


def test_hostile_scope_ids_are_values_not_code(memory: Memory, canary: str) -> None:
    driver, db = memory.store.driver, memory.store.database
    before = invariants.snapshot(driver, db)
    ids = [f"{h}-{uuid.uuid4().hex[:6]}" for h in HOSTILE[:5]]
    try:
        for uid in ids:
            memory.add_facts([f"{uid} keeps a diary."], user_id=uid, agent_id=uid)
        for uid in ids:
            found = memory.get_all(user_id=uid)["results"]
            assert [f["memory"] for f in found] == [f"{uid} keeps a diary."]
        assert canary_alive(driver, db, canary)
    finally:
        for uid in ids:
            memory.reset(user_id=uid)
    assert invariants.snapshot(driver, db) == before
