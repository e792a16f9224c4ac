"""A small scope's walk answered from its whole graph (store/scope_graph.py) is the walk the
statements answer: the same results for the same searches, and the same rows for the same
reads (ties included: both break them by id), on the real Neo4j and the real embedder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest

from graphmem.filters import compile_filters
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.recall import window_for
from graphmem.store import recall_reads
from graphmem.store.cypher import query
from graphmem.store.neo4j import Vector, traced_statements
from graphmem.store.recall_reads import RecallReads
from graphmem.store.scope_graph import ScopeGraph
from tests.test_relational_recall import fact

# Chains to walk (a sister's city, my wife's brother, a company's headquarters), a hub with
# more neighbours than the walk's degree cap, all mentioned alike (ties), history (a city
# lived in before) and metadata to filter on.
WORLD = [
    fact("Carol Moreau is Alice Moreau's sister.", "Carol Moreau", "SISTER_OF", "Alice Moreau",
         metadata={"room": "a"}),
    fact("Carol Moreau works at Tyrell Corp.", "Carol Moreau", "WORKS_AT", "Tyrell Corp"),
    fact("Tyrell Corp is headquartered in Utrecht.", "Tyrell Corp", "HEADQUARTERED_IN",
         "Utrecht", metadata={"room": "a"}),
    fact("Carol Moreau lives in Lisbon.", "Carol Moreau", "LIVES_IN", "Lisbon",
         metadata={"room": "b"}, valid_from="2015-01-01T00:00:00Z"),
    fact("Carol Moreau lived in Rome.", "Carol Moreau", "LIVES_IN", "Rome",
         metadata={"room": "a"}, valid_from="2010-01-01T00:00:00Z",
         valid_to="2015-01-01T00:00:00Z"),
    fact("My wife is Emma Laurent.", "I", "MARRIED_TO", "Emma Laurent"),
    fact("Emma Laurent's brother is Tom Laurent.", "Tom Laurent", "BROTHER_OF", "Emma Laurent"),
    fact("Tom Laurent is married to Sara Costa.", "Tom Laurent", "MARRIED_TO", "Sara Costa"),
    fact("I live in Porto.", "I", "LIVES_IN", "Porto"),
    fact("Alice Moreau works at Initech.", "Alice Moreau", "WORKS_AT", "Initech"),
    fact("Alice Moreau is friends with Dana Kim.", "Alice Moreau", "FRIEND_OF", "Dana Kim"),
    *(fact(f"Alice Moreau visited the office in town {i}.", "Alice Moreau", "VISITED",
           f"Town {i}", metadata={"room": "ab"[i % 2]}) for i in range(14)),
]  # fmt: skip

SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("Where does Alice Moreau's sister live?", {}),
    ("In which city is the company that Alice Moreau's sister works for headquartered?", {}),
    ("Who is my wife's brother married to?", {}),
    ("Which towns did Alice Moreau visit?", {}),
    ("Where does Alice Moreau's sister live?", {"filters": {"room": "a"}}),
    ("Where did Alice Moreau's sister live?", {"as_of": datetime(2012, 6, 1)}),
    ("Where has Alice Moreau's sister lived?", {"include_superseded": True}),
    ("Tell me about Tyrell Corp", {"top_k": 3}),
]


@pytest.fixture(scope="module")
def world(memory: Memory) -> Iterator[str]:
    """A user holding WORLD (written once for the module: the tests only read it)."""
    uid = f"test-graph-{uuid.uuid4().hex[:12]}"
    memory.add_facts(WORLD, user_id=uid)
    yield uid
    memory.reset(user_id=uid)


@contextmanager
def statements_only() -> Iterator[None]:
    """Searches walk through recall/walk, hop and entity_facts, never a scope graph."""
    before = recall_reads.GRAPH_MAX_FACTS
    recall_reads.GRAPH_MAX_FACTS = 0
    try:
        yield
    finally:
        recall_reads.GRAPH_MAX_FACTS = before


def _searched(memory: Memory, question: str, user_id: str, options: dict[str, Any]):  # type: ignore[no-untyped-def]
    with traced_statements() as traced:
        found = memory.search(question, user_id=user_id, **options)
    return found, [t.statement.splitlines()[0] for t in traced]


def test_a_small_scopes_searches_are_the_same_from_its_graph(memory: Memory, world: str) -> None:
    user_id = world
    # A statement as sent, by its first line (the caller's filter is spliced in later).
    walked = {query(name).splitlines()[0] for name in ("recall/walk", "recall/entity_facts")}
    for question, options in SEARCHES:
        with statements_only():
            expected, by_statements = _searched(memory, question, user_id, options)
        found, by_graph = _searched(memory, question, user_id, options)
        assert found == expected, (question, options)
        assert walked <= set(by_statements) and not walked & set(by_graph)
        # 25 facts, within the candidate pool of 30: their rows came with the graph, and
        # the search was one statement (the scope's relation words were read, and cached,
        # by the search before).
        assert by_graph == by_statements[:1], by_graph  # recall/candidates, as sent
    # The relational answers themselves (the graph path is not merely the same, it works).
    sister = memory.search(SEARCHES[1][0], user_id=user_id, top_k=5)
    assert "Tyrell Corp is headquartered in Utrecht." in [r["memory"] for r in sister["results"]]


def _graph(memory: Memory, scope: Scope, embedding: list[float], **window: Any) -> ScopeGraph:
    found = RecallReads(memory.store).candidates(
        scope, embedding, k=30, names=[], entity_k=0, min_score=0.7,
        window=window_for(window.get("as_of"), window.get("include_superseded", False)),
        where=window.get("where", compile_filters(None)), with_graph=True,
    )  # fmt: skip
    assert found.graph is not None
    return found.graph


@pytest.mark.parametrize(
    "window",
    [{}, {"include_superseded": True}, {"as_of": datetime(2012, 6, 1)},
     {"where": compile_filters({"room": "a"})}],
    ids=["current", "history", "as_of", "filtered"],
)  # fmt: skip
def test_the_graphs_reads_are_the_statements_rows(
    memory: Memory, world: str, window: dict[str, Any]
) -> None:
    scope = Scope(user_id=world)
    embedding = Vector(memory.embedder.embed_one("Where does Alice Moreau's sister live?"))
    graph = _graph(memory, scope, embedding, **window)
    server = RecallReads(memory.store)
    local = server.over(graph)
    seen = window_for(window.get("as_of"), window.get("include_superseded", False))
    where = window.get("where", compile_filters(None))
    entities = sorted(graph.entities)
    weights = {"SISTER_OF": 0.9, "LIVES_IN": 0.6}
    # Degree cap 3 under 16 neighbours mentioned alike: which ones is decided by the ties.
    walk = {"degree_cap": 3, "through_max": 12, "window": seen, "one_hop_ids": entities[:2]}
    expected = server.walk(scope, entities, weights, **walk)
    assert expected  # as of 2012 only Rome's relation was valid yet: 2 rows
    assert sorted(local.walk(scope, entities, weights, **walk), key=repr) == sorted(
        expected, key=repr
    )
    hop = {"per_node": 2, "window": seen, "where": where}
    assert local.hop(scope, entities, weights, ["Organization"], embedding, **hop) == (
        server.hop(scope, entities, weights, ["Organization"], embedding, **hop)
    )
    facts = {"per_entity": 2, "window": seen, "where": where}
    assert local.entity_facts(scope, entities, embedding, **facts) == server.entity_facts(
        scope, entities, embedding, **facts, similarities=graph.similarities
    )
    assert set(graph.rows) == set(graph.about)  # 25 facts at most, within the pool of 30
    ids = sorted(graph.rows)
    assert _comparable(local.fact_rows(scope, ids, embedding)) == _comparable(
        server.fact_rows(scope, ids, embedding)
    )
    # Rows the graph does not hold are read, scored from its similarities (the scan's,
    # exact) instead of the stored vectors: the same rows.
    graph.rows = {}
    assert _comparable(local.fact_rows(scope, ids, embedding)) == _comparable(
        server.fact_rows(scope, ids, embedding)
    )


def _comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "vector": row["vector"].tolist()} for row in rows]


def test_fact_links_the_graph_lacks_are_read(memory: Memory, world: str) -> None:
    scope = Scope(user_id=world)
    stored = memory.get_all(user_id=world, limit=100)["results"]
    rome = next(r["id"] for r in stored if "Rome" in r["memory"])  # over: no current read sees it
    embedding = Vector(memory.embedder.embed_one("Where does Carol work?"))
    graph = _graph(memory, scope, embedding)
    ids = [*graph.about, rome]
    assert rome not in graph.about and len(graph.about) == len(WORLD) - 1
    server = RecallReads(memory.store)
    expected = {fid: rest for fid, *rest in server.fact_links(scope, ids, embedding)}
    local = server.over(graph).fact_links(scope, ids, embedding)
    assert {fid: rest for fid, *rest in local} == expected
    assert len(local) == len(ids)


def test_a_graph_too_large_for_the_bounds_is_walked_by_statements(
    memory: Memory, world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = Scope(user_id=world)
    embedding = Vector(memory.embedder.embed_one("Which towns did Alice Moreau visit?"))
    reads = RecallReads(memory.store)

    def graph() -> ScopeGraph | None:
        return reads.candidates(
            scope, embedding, k=30, names=[], entity_k=0, min_score=0.7, with_graph=True
        ).graph

    assert graph() is not None
    # More facts than the pool: the graph comes, without the rows.
    pool_of_ten = reads.candidates(
        scope, embedding, k=10, names=[], entity_k=0, min_score=0.7, with_graph=True
    ).graph
    assert pool_of_ten is not None and pool_of_ten.about and not pool_of_ten.rows
    monkeypatch.setattr(recall_reads, "GRAPH_MAX_RELATIONS", len(WORLD) - 1)
    assert graph() is None
    monkeypatch.undo()
    monkeypatch.setattr(recall_reads, "GRAPH_MAX_ENTITIES", 5)
    assert graph() is None
    assert (
        reads.candidates(scope, embedding, k=30, names=[], entity_k=0, min_score=0.7).graph is None
    )
