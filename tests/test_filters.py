"""mem0 filters -> parameterised Cypher: compile errors, and a property test on real Neo4j.

The property test stores seeded-random facts with random metadata under several scopes,
then draws random scopes and filters with hypothesis: get_all and search must return
exactly what a brute-force Python evaluation of the same filter selects, and nothing of
another scope. It runs once with small-scope scans and once forcing the vector-index path.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem.errors import FilterError
from graphmem.filters import MARKER, compile_filters
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.store import recall_reads
from graphmem.store.recall_reads import RecallReads

# -- compilation -----------------------------------------------------------------


def test_values_and_keys_travel_as_parameters_only() -> None:
    hostile = "x') DETACH DELETE n //"
    pred = compile_filters({"AND": [{"room": hostile}, {"OR": [{"user_id": "a"}, {"n": 1}]}]})
    assert hostile not in pred.cypher and "room" not in pred.cypher
    assert hostile in pred.params.values()
    assert "meta.room" in pred.params.values() and "user_id" in pred.params.values()
    # one parameter pair per leaf, never reused across OR branches
    assert len(pred.params) == 6 and len(set(pred.params)) == 6


def test_apply_swaps_every_marker_and_refuses_a_statement_without_one() -> None:
    pred = compile_filters({"room": "a"})
    statement = f"MATCH (f:Fact) WHERE {MARKER} RETURN f"
    assert MARKER not in pred.apply(statement)
    both = pred.apply(f"{statement} UNION MATCH (f:Fact) WHERE {MARKER} RETURN f")
    assert MARKER not in both and both.count(pred.cypher) == 2
    with pytest.raises(ValueError):
        pred.apply("MATCH (f) RETURN f")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"room": {"like": "a"}}, "unknown operator 'like'"),
        ({"room": {}}, "empty operator mapping"),
        ({"AND": []}, "non-empty list"),
        ({"or": [{"a": 1}]}, "in capitals"),
        ({"room id": 1}, "not allowed"),
        ({"room": {"in": "abc"}}, "list of values"),
        ({"room": ["a", "b"]}, "'in' or 'nin'"),
        ({"room": {"gt": True}}, "cannot be ordered"),
        ({"room": {"contains": 3}}, "expected a string"),
        ({"room": {"eq": None}}, "unsupported value type"),
        ({"NOT": "x"}, "mapping or a non-empty list"),
    ],
)
def test_a_bad_filter_is_a_clear_error(filters: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        compile_filters(filters)


def test_filters_must_be_a_mapping() -> None:
    with pytest.raises(FilterError):
        compile_filters([{"a": 1}])  # type: ignore[arg-type]


def test_a_bad_filter_reaches_the_caller_from_search(memory: Memory, user_id: str) -> None:
    memory.add_facts(["I like tea."], user_id=user_id)
    with pytest.raises(FilterError, match="unknown operator"):
        memory.search("tea", user_id=user_id, filters={"room": {"regex": ".*"}})


# -- brute-force reference ----------------------------------------------------------


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    return "list" if isinstance(value, list) else "str"


def _eq(a: Any, b: Any) -> bool:
    return a is not None and _kind(a) == _kind(b) and a == b


def _leaf(a: Any, op: str, v: Any) -> bool:
    if op == "eq":
        return _eq(a, v)
    if op == "ne":
        return not _eq(a, v)
    if op in ("gt", "gte", "lt", "lte"):
        if a is None or _kind(a) != _kind(v) or _kind(a) not in ("num", "str"):
            return False
        return {"gt": a > v, "gte": a >= v, "lt": a < v, "lte": a <= v}[op]
    if op == "in":
        return any(_eq(a, x) for x in v)
    if op == "nin":
        return not any(_eq(a, x) for x in v)
    if op == "contains":
        if isinstance(a, str):
            return v in a
        return isinstance(a, list) and any(_eq(x, v) for x in a)
    if op == "icontains":
        if isinstance(a, str):
            return v.lower() in a.lower()
        return isinstance(a, list) and any(isinstance(x, str) and x.lower() == v.lower() for x in a)
    raise AssertionError(op)


def matches(filters: dict[str, Any], props: dict[str, Any]) -> bool:
    for key, value in filters.items():
        if key == "AND" and not all(matches(f, props) for f in value):
            return False
        if key == "OR" and not any(matches(f, props) for f in value):
            return False
        if key == "NOT" and all(matches(f, props) for f in value):
            return False
        if key in ("AND", "OR", "NOT"):
            continue
        actual = props.get(key)
        if value == "*":
            ok = actual is not None
        elif isinstance(value, dict):
            ok = all(_leaf(actual, op, v) for op, v in value.items())
        else:
            ok = _eq(actual, value)
        if not ok:
            return False
    return True


# -- the data set and the strategies -------------------------------------------------

ROOMS = ["alpha", "beta", "Gamma"]
TAGS = ["red", "Blue", "green"]
TOPICS = [
    "I moved to a new flat near the river.",
    "My manager asked for the report on Friday.",
    "We adopted a dog called Pixel.",
    "I am learning to play the cello.",
    "The team celebrated the product launch.",
    "I started running every morning.",
    "My sister visits in the summer.",
    "We booked a trip to the mountains.",
]


def _metadata(rng: random.Random) -> dict[str, Any]:
    candidates = {
        "room": rng.choice(ROOMS),
        "priority": rng.randint(0, 5),
        "weight": round(rng.uniform(0, 3), 2),
        "tags": rng.sample(TAGS, rng.randint(1, 2)),
        "flag": rng.random() < 0.5,
        "note": rng.choice(["Call Bob", "call alice", "BUY milk"]),
    }
    return {k: v for k, v in candidates.items() if rng.random() < 0.75}


@pytest.fixture(scope="module")
def dataset(memory: Memory) -> Iterator[dict[str, Any]]:
    rng = random.Random(4242)
    tag = uuid.uuid4().hex[:8]
    users = [f"prop-{tag}-u{i}" for i in range(3)]
    scopes = [
        Scope(user_id=u, agent_id=a, run_id=r)
        for u in users
        for a, r in ((None, None), ("agent-1", None), ("agent-2", "run-9"))
    ]
    facts: list[dict[str, Any]] = []
    for scope in scopes:
        items = [
            {"text": f"{rng.choice(TOPICS)} ({rng.randint(0, 10**6)})", "metadata": _metadata(rng)}
            for _ in range(rng.randint(3, 8))
        ]
        added = memory.add_facts(items, **scope.params())["results"]
        for item, row in zip(items, added, strict=True):
            facts.append(
                {"id": row["id"], "text": item["text"], **scope.params(), **item["metadata"]}
            )
    # brute force runs on the vectors as stored (Neo4j keeps them as float32)
    stored = memory.store.read(
        "UNWIND $ids AS id MATCH (f:Fact {id: id}) RETURN f.id AS id, f.embedding AS vector",
        {"ids": [f["id"] for f in facts]},
    )
    vectors = {r["id"]: np.asarray(r["vector"], dtype=float) for r in stored}
    for fact in facts:
        fact["vector"] = vectors[fact["id"]] / np.linalg.norm(vectors[fact["id"]])
    yield {"users": users, "facts": facts}
    for user in users:
        memory.reset(user_id=user)


_values = {
    "room": st.sampled_from([*ROOMS, "alpha ", "ALPHA"]),
    "priority": st.integers(-1, 6),
    "weight": st.floats(0, 3, allow_nan=False).map(lambda x: round(x, 2)),
    "flag": st.booleans(),
    "note": st.sampled_from(["Call Bob", "call", "ALICE", "milk", "x"]),
    "tags": st.sampled_from([*TAGS, "blue"]),
}


@st.composite
def _leaf_filter(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from([*_values, "user_id", "agent_id", "missing"]))
    values = _values.get(key, st.sampled_from(["agent-1", "agent-2", "x"]))
    op = draw(
        st.sampled_from(
            [
                "bare",
                "*",
                "eq",
                "ne",
                "gt",
                "gte",
                "lt",
                "lte",
                "in",
                "nin",
                "contains",
                "icontains",
            ]
        )
    )
    if op == "*":
        return {key: "*"}
    if op in ("in", "nin"):
        return {key: {op: draw(st.lists(values, min_size=1, max_size=3))}}
    value = draw(values)
    if op in ("contains", "icontains") and not isinstance(value, str):
        value = str(value)
    if op in ("gt", "gte", "lt", "lte") and isinstance(value, bool):
        op = "eq"
    return {key: value} if op == "bare" else {key: {op: value}}


_filters = st.recursive(
    _leaf_filter(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"AND": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"OR": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"NOT": xs}, st.lists(inner, min_size=1, max_size=2)),
    ),
    max_leaves=6,
)


def _scope_strategy(users: list[str]) -> st.SearchStrategy[dict[str, str | None]]:
    return st.builds(
        lambda u, a, r: {"user_id": u, "agent_id": a, "run_id": r},
        st.sampled_from(users),
        st.sampled_from([None, "agent-1", "agent-2"]),
        st.sampled_from([None, "run-9"]),
    )


def _in_scope(fact: dict[str, Any], scope: dict[str, str | None]) -> bool:
    return all(v is None or fact.get(k) == v for k, v in scope.items())


@pytest.fixture(params=["scan", "f16-scan", "index"])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "index":
        # Every scope counts as large: the vector index path with over-fetch and fallback.
        monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", 0)
    if request.param == "f16-scan":
        # Every scanned scope is scored from its facts' float16 copies in the client.
        monkeypatch.setattr(recall_reads, "F16_SCAN_MIN", 0)
    return str(request.param)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_scopes_and_filters_equal_brute_force(
    memory: Memory, dataset: dict[str, Any], search_path: str, data: st.DataObject
) -> None:
    scope = data.draw(_scope_strategy(dataset["users"]))
    filters = data.draw(_filters)
    visible = [f for f in dataset["facts"] if _in_scope(f, scope)]
    expected = {f["id"] for f in visible if matches(filters, f)}

    listed = memory.get_all(**scope, filters=filters, limit=1000)["results"]
    assert {r["id"] for r in listed} == expected

    query = data.draw(st.sampled_from(TOPICS))
    found = memory.search(query, **scope, filters=filters, top_k=5)["results"]
    assert {r["id"] for r in found} <= expected
    assert all(_in_scope(r, scope) for r in found)

    # vector-only top-k is exactly the brute-force top-k of the filtered scope
    reads = RecallReads(memory.store)
    where = compile_filters(filters)
    vector = memory.embedder.embed_one(query)
    hits = reads.nearest_facts(Scope(**scope), vector, 5, where=where)
    q = np.asarray(vector) / np.linalg.norm(vector)
    brute = sorted((float(f["vector"] @ q) for f in visible if f["id"] in expected), reverse=True)[
        :5
    ]
    got = [h.score for h in hits]
    assert len(got) == len(brute)
    assert np.allclose(got, brute, atol=1e-4)
