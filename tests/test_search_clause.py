"""Recall on a Neo4j with the SEARCH clause and in-index filters (2026.06+), for real.

The session starts a second server for this module (tests/neo4j_session.py:
neo4j_search_server, Neo4j 2026.08.1 on Java 21+; skipped with the reason when no such Java
is installed). On it graphmem creates its vector indexes with filter properties and reads
them through SEARCH (cypher/recall/fact_search, entity_search). The tests prove that path is
the one taken (the statements sent and the server's own plan), that a scope's top-k equals
the brute-force top-k for random scopes, windows and filters, small and large scopes alike,
that nothing leaves its scope, and that Memory.search works end to end.
"""

from __future__ import annotations

import random
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import neo4j_server as launcher
from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.filters import compile_filters
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.shapes import utc
from graphmem.store import recall_reads
from graphmem.store.cypher import query, statements
from graphmem.store.neo4j import FACT_INDEX, GraphStore, VectorSearch, traced_statements
from graphmem.store.recall_reads import RecallReads, nearest_statements
from graphmem.store.recall_rows import Window
from tests.neo4j_session import SEARCH_VERSION, Neo4jTarget
from tests.test_filters import matches

NAMES = [
    "Alice Berg", "Bob Chen", "Carol Diaz", "Dan Evans", "Erin Fox", "Frank Gray",
    "Lisbon", "Oslo", "Kyoto", "Nairobi", "Quito", "Hobart",
    "Acme Corp", "Globex", "Initech", "the cello", "the garden", "the museum",
]  # fmt: skip
TOPICS = [
    "moved to a flat near the river",
    "asked for the quarterly report",
    "adopted a dog called Pixel",
    "is learning to play the cello",
    "celebrated the product launch",
    "started running every morning",
    "visits her sister in the summer",
    "booked a trip to the mountains",
    "planted tomatoes in the garden",
    "switched to decaf coffee",
]
ROOMS = ["alpha", "beta", "gamma"]
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
BIG = 70  # facts in the large scope: above EXACT_SCAN_MAX as the tests set it (40 or 0)
PROPERTY = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def search_memory(
    neo4j_search_server: Neo4jTarget,
    embedder: LocalEmbedder,
    model_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Memory]:
    settings_ = Settings(
        neo4j_uri=neo4j_search_server.uri,
        neo4j_user=neo4j_search_server.user,
        neo4j_password=neo4j_search_server.password,
        embedder_path=model_path,
        data_dir=tmp_path_factory.mktemp("search-clause"),
    )
    memory = Memory(settings_, embedder=embedder)
    try:
        yield memory
    finally:
        memory.store.close()  # the embedder is the session's


def _fact(rng: random.Random, i: int) -> dict[str, Any]:
    metadata = {"room": rng.choice(ROOMS), "priority": rng.randint(0, 5)}
    item: dict[str, Any] = {
        "text": f"{rng.choice(NAMES)} {rng.choice(TOPICS)} (note {i}, {rng.randint(0, 10**6)})",
        "entities": rng.sample(NAMES, rng.randint(1, 2)),
        "metadata": {k: v for k, v in metadata.items() if rng.random() < 0.8},
    }
    if rng.random() < 0.3:
        item["valid_from"] = T0 + timedelta(days=rng.randint(0, 300))
    if rng.random() < 0.2:
        item["valid_to"] = T0 + timedelta(days=rng.randint(100, 500))
    return item


@pytest.fixture(scope="module")
def dataset(search_memory: Memory) -> Iterator[dict[str, Any]]:
    """Three users with small scopes, one user with a large one; some facts superseded."""
    rng = random.Random(2608)
    tag = uuid.uuid4().hex[:8]
    users = [f"search-{tag}-u{i}" for i in range(3)]
    big_user = f"search-{tag}-big"
    plan = [
        (Scope(user_id=u, agent_id=a, run_id=r), rng.randint(3, 8))
        for u in users
        for a, r in ((None, None), ("agent-1", None), ("agent-2", "run-9"))
    ]
    plan += [(Scope(user_id=big_user, agent_id="agent-1"), BIG), (Scope(user_id=big_user), 12)]
    facts: list[dict[str, Any]] = []
    for scope, count in plan:
        items = [_fact(rng, len(facts) + i) for i in range(count)]
        for start in range(0, count, 100):
            chunk = items[start : start + 100]
            added = search_memory.add_facts(chunk, **scope.params())["results"]
            assert [r["event"] for r in added] == ["ADD"] * len(chunk)
            for item, row in zip(chunk, added, strict=True):
                facts.append({**item, **item["metadata"], **scope.params(), "id": row["id"]})
    # Superseded facts (as resolution leaves them): the index's status filter must follow.
    superseded = [f["id"] for f in rng.sample(facts, len(facts) // 6)]
    search_memory.store.write(
        lambda tx: tx.run(
            "UNWIND $ids AS id MATCH (f:Fact {id: id}) SET f.status = 'superseded'", ids=superseded
        ).consume()
    )
    vectors = _stored_vectors(search_memory.store, [f["id"] for f in facts])
    for fact in facts:
        fact["status"] = "superseded" if fact["id"] in superseded else "active"
        fact["vector"], fact["valid_from"] = vectors[fact["id"]]
    entities = [
        {**dict(r), "vector": np.asarray(r["vector"], dtype=float)}
        for r in search_memory.store.read(
            "MATCH (e:Entity) WHERE e.user_id IN $users RETURN e.id AS id, e.user_id AS user_id, "
            "e.agent_id AS agent_id, e.run_id AS run_id, e.embedding AS vector",
            {"users": [*users, big_user]},
        )
    ]
    for entity in entities:
        entity["vector"] = entity["vector"] / np.linalg.norm(entity["vector"])
    yield {"users": users, "big_user": big_user, "facts": facts, "entities": entities}
    for user in [*users, big_user]:
        search_memory.reset(user_id=user)


def _stored_vectors(store: GraphStore, ids: list[str]) -> dict[str, tuple[np.ndarray, Any]]:
    """Brute force runs on the vectors as stored (Neo4j keeps them as float32), normalised,
    and on the valid_from as stored (a fact given none is valid from when it was added)."""
    rows = store.read(
        "UNWIND $ids AS id MATCH (f:Fact {id: id}) "
        "RETURN f.id AS id, f.embedding AS v, f.valid_from AS valid_from",
        {"ids": ids},
    )
    return {
        r["id"]: (np.asarray(r["v"], dtype=float) / np.linalg.norm(r["v"]), utc(r["valid_from"]))
        for r in rows
    }


def _in_scope(row: dict[str, Any], scope: Scope) -> bool:
    return all(v is None or row.get(k) == v for k, v in scope.params().items())


def _visible(fact: dict[str, Any], window: Window) -> bool:
    if fact["status"] not in window.statuses:
        return False
    start, end = fact.get("valid_from"), fact.get("valid_to")
    if window.as_of is not None and start is not None and start > window.as_of:
        return False
    return window.valid_after is None or end is None or end > window.valid_after


def _statement_names(recorded: list[str]) -> list[str]:
    """Which named statements were sent, told apart by their first (comment) line."""
    names = [
        f"{kind}_{path}" for kind in ("fact", "entity") for path in ("search", "index", "scan")
    ]
    heads = {name: query(f"recall/{name}").splitlines()[0] for name in names}
    return [n for s in recorded for n, head in heads.items() if s.startswith(head)]


@pytest.fixture
def sent(search_memory: Memory, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the store sends during the test, in order (the real store runs them)."""
    recorded: list[str] = []
    real_read: Callable[..., Any] = search_memory.store.read

    def read(statement: str, params: dict[str, Any]) -> Any:
        recorded.append(statement)
        return real_read(statement, params)

    monkeypatch.setattr(search_memory.store, "read", read)
    return recorded


@pytest.fixture
def requested(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The named statements the recall reads load during the test (however they run them)."""
    names: list[str] = []

    def recording_query(name: str) -> str:
        names.append(name)
        return query(name)

    monkeypatch.setattr(recall_reads, "query", recording_query)
    return names


# -- the server and the path -------------------------------------------------------


def test_the_launcher_runs_the_newer_server(neo4j_search_server: Neo4jTarget) -> None:
    info = neo4j_search_server.info
    if info is None:
        pytest.skip("GRAPHMEM_TEST_NEO4J_SEARCH_URI points at an external server")
    assert info.version == SEARCH_VERSION
    assert launcher.status(info.home).version == SEARCH_VERSION  # as the server reports it
    assert launcher.entry_point(launcher.ensure_jars(SEARCH_VERSION)) != launcher.ENTRY_POINT
    # The Browser jar (org.neo4j.client:neo4j-browser 5.24.0) is still served on 2026.x.
    with urllib.request.urlopen(info.browser_url, timeout=10) as response:
        assert "Neo4j Browser" in response.read().decode("utf-8", errors="replace")


def test_the_indexes_carry_the_scope_filters(search_memory: Memory) -> None:
    rows = search_memory.store.read(query("admin/vector_indexes"), {})
    properties = {r["name"]: r["properties"] for r in rows}
    assert properties["graphmem_fact_embedding"] == ["embedding", "scope_key", "status"]
    assert properties["graphmem_entity_embedding"] == ["embedding", "scope_key"]
    assert search_memory.store.vector_search() == VectorSearch(facts=True, entities=True)
    assert nearest_statements(search_memory.store) == (
        "recall/fact_search",
        "recall/entity_search",
    )


def _plan_details(store: GraphStore, statement: str, params: dict[str, Any]) -> list[str]:
    """The server's own plan for the statement: operator names with their details."""
    explain = statement.replace("CYPHER 25\n", "CYPHER 25 EXPLAIN\n", 1)
    with store.driver.session(database=store.database) as session:
        plan = session.run(explain, params).consume().plan
    found: list[str] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        found.append(f"{node['operatorType']}: {node['args'].get('Details', '')}")
        stack.extend(node.get("children", []))
    return found


def test_the_server_filters_inside_the_index(search_memory: Memory) -> None:
    where = compile_filters({"room": "alpha"})
    statement = where.apply(query("recall/fact_search"))
    params = {
        **Scope(user_id="u").params(),
        **Window().params(),
        **where.params,
        "embedding": [0.1] * search_memory.embedder.dimension,
        "k": 5,
        "fetch_k": 200,
    }
    plan = _plan_details(search_memory.store, statement, params)
    searches = [p for p in plan if p.startswith("NodeVectorIndexSearch")]
    assert len(searches) == 1, plan
    assert f"VECTOR INDEX {FACT_INDEX}" in searches[0]
    assert "WHERE scope_key IN keys AND status IN $statuses" in searches[0]
    # queryNodes is not in the plan at all
    assert not any("queryNodes" in p for p in plan)


def test_a_large_scope_is_answered_by_search_alone(
    search_memory: Memory, dataset: dict[str, Any], sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", 40)
    scope = Scope(user_id=dataset["big_user"], agent_id="agent-1")
    vector = search_memory.embedder.embed_one("who adopted a dog?")
    hits = RecallReads(search_memory.store).nearest_facts(scope, vector, 5)
    assert _statement_names(sent) == ["fact_search"]  # no queryNodes, no fallback scan
    visible = [f for f in dataset["facts"] if _in_scope(f, scope) and f["status"] == "active"]
    assert len(visible) > 40
    brute = sorted((float(f["vector"] @ _unit(vector)) for f in visible), reverse=True)[:5]
    assert np.allclose([h.score for h in hits], brute, atol=1e-4)


def test_a_small_scope_through_the_index_needs_no_fallback(
    search_memory: Memory, dataset: dict[str, Any], sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEARCH walks only the scope's facts, so a small tenant beside a large one gets its
    top-k from the index itself (queryNodes would have to find it in the global top-k)."""
    monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", 0)
    scope = Scope(user_id=dataset["users"][0], agent_id="agent-2", run_id="run-9")
    mine = [f for f in dataset["facts"] if _in_scope(f, scope) and f["status"] == "active"]
    vector = search_memory.embedder.embed_one(TOPICS[3])
    hits = RecallReads(search_memory.store).nearest_facts(scope, vector, 2)
    assert _statement_names(sent) == ["fact_search"]
    brute = sorted((float(f["vector"] @ _unit(vector)) for f in mine), reverse=True)[:2]
    assert len(mine) >= 2 and np.allclose([h.score for h in hits], brute, atol=1e-4)


def _unit(vector: list[float]) -> np.ndarray:
    v = np.asarray(vector, dtype=float)
    return v / np.linalg.norm(v)


# -- exactness and isolation, property-tested -----------------------------------------

_filter_leaves = st.one_of(
    st.builds(lambda r: {"room": r}, st.sampled_from(ROOMS)),
    st.builds(lambda r: {"room": {"ne": r}}, st.sampled_from(ROOMS)),
    st.builds(lambda p: {"priority": {"gte": p}}, st.integers(0, 5)),
    st.builds(lambda p: {"priority": {"in": p}}, st.lists(st.integers(0, 5), min_size=1)),
    st.just({"room": "*"}),
)
_filters = st.one_of(
    st.none(),
    _filter_leaves,
    st.builds(lambda xs: {"OR": xs}, st.lists(_filter_leaves, min_size=1, max_size=3)),
    st.builds(lambda xs: {"NOT": xs}, st.lists(_filter_leaves, min_size=1, max_size=2)),
)
_windows = st.builds(
    Window,
    statuses=st.sampled_from([("active",), ("active", "superseded"), ("superseded",)]),
    as_of=st.sampled_from([None, T0 + timedelta(days=150)]),
    valid_after=st.sampled_from([None, T0 + timedelta(days=250)]),
)


def _scopes(dataset: dict[str, Any]) -> st.SearchStrategy[Scope]:
    users = [*dataset["users"], *[dataset["big_user"]] * 3]  # the large scope, often
    return st.builds(
        lambda u, a, r: Scope(user_id=u, agent_id=a, run_id=r),
        st.sampled_from(users),
        st.sampled_from([None, "agent-1", "agent-2"]),
        st.sampled_from([None, "run-9"]),
    )


@pytest.fixture(params=[40, 0], ids=["large-scopes-search", "every-scope-searches"])
def scan_max(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """40: the large scope goes through SEARCH, small ones are scanned; 0: all search.

    The over-fetch floor comes down from 200 to 10 (fetch_k = 20 k), so the index really
    picks within the large scope rather than handing all of it back."""
    monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", request.param)
    monkeypatch.setattr(recall_reads, "MIN_FETCH_K", 10)
    return int(request.param)


@PROPERTY
@given(data=st.data())
def test_scoped_top_k_equals_brute_force(
    search_memory: Memory, dataset: dict[str, Any], scan_max: int, data: st.DataObject
) -> None:
    scope = data.draw(_scopes(dataset))
    window = data.draw(_windows)
    filters = data.draw(_filters)
    k = data.draw(st.sampled_from([1, 3, 5, 12]))
    text = data.draw(st.sampled_from(TOPICS + NAMES))
    vector = search_memory.embedder.embed_one(text)
    reads = RecallReads(search_memory.store)

    hits = reads.nearest_facts(scope, vector, k, window=window, where=compile_filters(filters))
    expected = {
        f["id"]: float(f["vector"] @ _unit(vector))
        for f in dataset["facts"]
        if _in_scope(f, scope) and _visible(f, window) and (not filters or matches(filters, f))
    }
    assert {h.id for h in hits} <= set(expected)  # nothing from another scope or window
    brute = sorted(expected.values(), reverse=True)[:k]
    assert len(hits) == len(brute)
    assert np.allclose([h.score for h in hits], brute, atol=1e-4)
    assert all(abs(expected[h.id] - h.score) < 1e-4 for h in hits)

    min_score = data.draw(st.sampled_from([-1.0, 0.2, 0.5]))
    entities = reads.nearest_entities(scope, vector, k, min_score)  # no count: the index path
    in_scope = {
        e["id"]: float(e["vector"] @ _unit(vector))
        for e in dataset["entities"]
        if _in_scope(e, scope)
    }
    assert {e.id for e in entities} <= set(in_scope)
    brute_entities = sorted((s for s in in_scope.values() if s >= min_score), reverse=True)[:k]
    assert np.allclose([e.score for e in entities], brute_entities, atol=1e-4)


# -- end to end -----------------------------------------------------------------------

FAMILY = [
    {
        "text": "Alice's sister is called Beth.",
        "entities": [{"name": "Alice", "type": "Person"}, {"name": "Beth", "type": "Person"}],
        "relations": [{"source": "Alice", "relation": "sister", "target": "Beth"}],
    },
    {
        "text": "Beth lives in Lisbon.",
        "entities": [{"name": "Beth", "type": "Person"}, {"name": "Lisbon", "type": "City"}],
        "relations": [{"source": "Beth", "relation": "lives in", "target": "Lisbon"}],
    },
    {"text": "Alice lives in Paris.", "entities": ["Alice", "Paris"]},
    {"text": "Carol lives in Madrid.", "entities": ["Carol", "Madrid"]},
    {"text": "Dan's sister lives in Rome.", "entities": ["Dan", "Rome"]},
]


@pytest.mark.parametrize("scan_max", [2000, 0], ids=["default", "every-scope-searches"])
def test_memory_search_end_to_end(
    search_memory: Memory, requested: list[str], monkeypatch: pytest.MonkeyPatch, scan_max: int
) -> None:
    monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", scan_max)
    user, other = f"search-e2e-{uuid.uuid4().hex[:8]}", f"search-e2e-{uuid.uuid4().hex[:8]}"
    try:
        search_memory.add_facts(FAMILY, user_id=user)
        search_memory.add_facts(["Bob's vault code is 4711."], user_id=other)
        with traced_statements() as sent:
            result = search_memory.search("Where does Alice's sister live?", user_id=user, top_k=3)
        assert "Beth lives in Lisbon." in [r["memory"] for r in result["results"]]
        triples = {(r["source"], r["relation"], r["target"]) for r in result["relations"]}
        assert ("Beth", "LIVES_IN", "Lisbon") in triples
        assert all(r["user_id"] == user for r in result["results"])
        if scan_max == 0:
            # The first read (recall/candidates) asks both indexes through SEARCH; no
            # queryNodes statement follows.
            searched = {"recall/parts/facts_search", "recall/parts/entities_search"}
            assert {"recall/candidates", *searched} <= set(requested)
            assert not set(requested) & {"recall/fact_index", "recall/entity_index"}
            first = sent[0].statement  # recall/candidates, as sent
            assert first.startswith("CYPHER 25") and "SEARCH f IN" in first
            assert "SEARCH e IN" in first and "queryNodes" not in first
        leaked = search_memory.search("vault code", user_id=user, top_k=10)["results"]
        assert "4711" not in " ".join(r["memory"] for r in leaked)
    finally:
        search_memory.reset(user_id=user)
        search_memory.reset(user_id=other)


# -- an index from before: kept, read the 5.26 way ------------------------------------


def test_an_index_without_filter_properties_keeps_the_procedure_path(
    search_memory: Memory, dataset: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = search_memory.store
    dimension = search_memory.embedder.dimension
    plain = next(s for s in statements("schema_vectors") if FACT_INDEX in s)

    def rebuild(statement: str | None) -> None:
        store.write(lambda tx: tx.run("DROP INDEX graphmem_fact_embedding").consume())
        if statement is not None:
            store.write(lambda tx: tx.run(statement, {"dimension": dimension}).consume())

    rebuild(plain)  # as a database created before graphmem knew SEARCH has it
    try:
        old = GraphStore(store.driver, store.database)
        old.bootstrap(dimension)  # idempotent: keeps the plain index, does not fail
        rows = {r["name"]: r["properties"] for r in old.read(query("admin/vector_indexes"), {})}
        assert rows[FACT_INDEX] == ["embedding"]
        assert old.vector_search() == VectorSearch(facts=False, entities=True)
        assert nearest_statements(old)[0] == "recall/fact_index"
        monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", 0)
        scope = Scope(user_id=dataset["big_user"])
        vector = search_memory.embedder.embed_one(TOPICS[0])
        hits = RecallReads(old).nearest_facts(scope, vector, 5)
        visible = [f for f in dataset["facts"] if _in_scope(f, scope) and f["status"] == "active"]
        brute = sorted((float(f["vector"] @ _unit(vector)) for f in visible), reverse=True)[:5]
        assert np.allclose([h.score for h in hits], brute, atol=1e-4)
    finally:
        rebuild(None)  # dropped: bootstrap recreates it with its filter properties
        fresh = GraphStore(store.driver, store.database)
        fresh.bootstrap(dimension)
        assert fresh.vector_search() == VectorSearch(facts=True, entities=True)
