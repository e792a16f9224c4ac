"""The foundation slice on the real Neo4j: schema, writes, scoped vector recall."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from graphmem.errors import InputError, SchemaMismatchError
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.store import recall_reads
from graphmem.store.recall_reads import RecallReads
from graphmem.store.schema import check_vector_dimensions, ensure_schema


def _schema_snapshot(memory: Memory) -> list[tuple]:
    driver, db = memory.store.driver, memory.store.database
    indexes, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, type, state, labelsOrTypes, properties, options "
        "RETURN name, type, state, labelsOrTypes, properties, options "
        "ORDER BY name",
        database_=db,
    )
    constraints, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "RETURN name, type, labelsOrTypes, properties ORDER BY name",
        database_=db,
    )
    rows = [tuple(str(v) for v in r.values()) for r in indexes]
    return rows + [tuple(str(v) for v in r.values()) for r in constraints]


def test_schema_bootstrap_is_idempotent(memory: Memory) -> None:
    before = _schema_snapshot(memory)
    ensure_schema(memory.store.driver, memory.store.database, memory.embedder.dimension)
    ensure_schema(memory.store.driver, memory.store.database, memory.embedder.dimension)
    assert _schema_snapshot(memory) == before
    names = {row[0] for row in before}
    assert {
        "graphmem_fact_embedding",
        "graphmem_entity_embedding",
        "graphmem_text",
        "graphmem_entity_scope_key",
    } <= names
    assert all(
        row[2] == "ONLINE" for row in before if row[0].startswith("graphmem_") and len(row) == 6
    )


def test_a_vector_index_of_another_dimension_is_a_clear_error(memory: Memory) -> None:
    with pytest.raises(SchemaMismatchError) as err:
        check_vector_dimensions(memory.store.driver, memory.store.database, 768)
    message = str(err.value)
    assert "384" in message and "768" in message and "GRAPHMEM_EMBEDDER_MODEL" in message


def test_add_without_inference_then_search_through_the_vector_index(
    memory: Memory, user_id: str
) -> None:
    turns = [
        "I adopted a cat named Miso.",
        "My favourite language is Rust.",
        "I am allergic to peanuts.",
        "The quarterly report is due on Friday.",
    ]
    result = memory.add(
        [{"role": "user", "content": t} for t in turns], user_id=user_id, infer=False
    )
    assert [r["event"] for r in result["results"]] == ["ADD"] * 4
    assert result["usage"]["embeddings"] == 4

    hits = memory.search("what pet do I have?", user_id=user_id, top_k=2)["results"]
    assert hits[0]["memory"] == "I adopted a cat named Miso."
    assert hits[0]["score"] > hits[1]["score"]
    assert hits[0]["user_id"] == user_id
    # The vector part of the score is raw cosine (Neo4j reports (1 + cos) / 2).
    query_vec, fact_vec = memory.embedder.embed(["what pet do I have?", turns[0]])
    assert abs(hits[0]["scores"]["vector"] - float(np.dot(query_vec, fact_vec))) < 1e-4


def test_vector_index_path_agrees_with_exact_scan(
    memory: Memory, user_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = [
        f"Note {i}: the meeting about project {i % 7} moved to room {i % 5}." for i in range(40)
    ]
    memory.add_facts(facts, user_id=user_id)
    query_vector = memory.embedder.embed_one("which room is project 3 in?")
    reads, scope = RecallReads(memory.store), Scope(user_id=user_id)

    exact = reads.nearest_facts(scope, query_vector, 5)
    # Every scope counts as large: the vector index with over-fetch, re-scored exactly.
    monkeypatch.setattr(recall_reads, "EXACT_SCAN_MAX", 0)
    via_index = reads.nearest_facts(scope, query_vector, 5)
    assert [h.id for h in via_index] == [h.id for h in exact]
    assert all(abs(a.score - b.score) < 1e-4 for a, b in zip(via_index, exact, strict=True))


def test_scopes_never_leak(memory: Memory, user_id: str) -> None:
    other = f"{user_id}-other"
    try:
        memory.add("Bob's secret: the vault code is 4711.", user_id=other, infer=False)
        memory.add("Alice likes tea.", user_id=user_id, infer=False)
        hits = memory.search("vault code", user_id=user_id)["results"]
        assert [h["memory"] for h in hits] == ["Alice likes tea."]
        assert memory.search("vault code", user_id=user_id, agent_id="x")["results"] == []
    finally:
        memory.reset(user_id=other)


def test_reset_removes_the_scope_and_nothing_else(memory: Memory, user_id: str) -> None:
    other = f"{user_id}-kept"
    try:
        memory.add_facts(
            [{"text": "Alice lives in Amsterdam.", "entities": ["Alice"]}], user_id=user_id
        )
        memory.add_facts(["Carol lives in Utrecht."], user_id=other)
        assert memory.reset(user_id=user_id) > 0
        assert memory.search("where", user_id=user_id)["results"] == []
        assert len(memory.search("where", user_id=other)["results"]) == 1
        leftovers, _, _ = memory.store.driver.execute_query(
            "MATCH (n) WHERE n.user_id = $u RETURN count(n) AS c",
            u=user_id,
            database_=memory.store.database,
        )
        assert leftovers[0]["c"] == 0
    finally:
        memory.reset(user_id=other)


def test_facts_with_triples_build_a_typed_graph(memory: Memory, user_id: str) -> None:
    memory.add_facts(
        [
            {
                "text": "Alice's sister is Carol.",
                "entities": [
                    {"name": "Alice", "type": "Person"},
                    {"name": "Carol", "type": "person"},
                ],
                "relations": [{"source": "Alice", "relation": "sister of", "target": "Carol"}],
            },
            {
                "text": "Carol lives in Utrecht.",
                "entities": [{"name": "carol"}, {"name": "Utrecht", "type": "City"}],
                "relations": [
                    {
                        "source": "Carol",
                        "relation": "KNOWS]->(x) DETACH DELETE x //",
                        "target": "Utrecht",
                    }
                ],
            },
        ],
        user_id=user_id,
        metadata={"source": "test"},
    )
    records, _, _ = memory.store.driver.execute_query(
        "MATCH (a:Entity {user_id: $u})-[r]->(b:Entity) "
        "RETURN a.name AS a, type(r) AS rel, b.name AS b, labels(b) AS labels ORDER BY rel",
        u=user_id,
        database_=memory.store.database,
    )
    rows = [(r["a"], r["rel"], r["b"]) for r in records]
    assert rows == [
        ("Carol", "KNOWS_X_DETACH_DELETE_X", "Utrecht"),
        ("Alice", "SISTER_OF", "Carol"),
    ]
    assert "City" in records[0]["labels"] and "Person" in records[1]["labels"]
    entities, _, _ = memory.store.driver.execute_query(
        "MATCH (e:Entity {user_id: $u}) RETURN count(e) AS c",
        u=user_id,
        database_=memory.store.database,
    )
    assert entities[0]["c"] == 3  # "Carol" and "carol" are one entity
    hit = memory.search("Where does Carol live?", user_id=user_id, top_k=1)["results"][0]
    assert hit["metadata"] == {"source": "test"}
    assert hit["entities"] and set(hit["entities"]) == {"Carol", "Utrecht"}


def _graph_counts(memory: Memory, user_id: str) -> dict[str, int]:
    records = memory.store.read(
        "MATCH (f:Fact {user_id: $u}) "
        "RETURN count(f) AS facts, "
        "sum(COUNT { (f)-[:ABOUT]->() }) AS about, sum(COUNT { (f)-[:FROM]->() }) AS from, "
        "COUNT { MATCH (:Entity {user_id: $u})-[r]->(:Entity) RETURN r } AS relations, "
        "COUNT { MATCH (e:Entity {user_id: $u}) RETURN e } AS entities",
        {"u": user_id},
    )
    return dict(records[0])


def test_one_batch_statement_writes_idempotently(memory: Memory, user_id: str) -> None:
    """write/batch CREATEs a new fact's relations and MERGEs those of a stored fact: the
    same batch written twice (a retried or re-extracted episode) adds nothing, and a
    relation listed twice is written once."""
    from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch

    scope = Scope(user_id=user_id)
    vector = memory.embedder.embed_one("Ada works at Initech")
    works = NewRelation("Ada", "works at", "Initech")
    fact = NewFact("Ada works at Initech", vector, entities=["Ada"], relations=[works, works])
    entities = [NewEntity("Ada", "Person", vector), NewEntity("Initech", "Company", vector)]
    batch = build_batch(scope, "episode-batch-test", [fact], entities)
    assert len(batch.relations) == 1
    memory.store.write_episode("episode-batch-test", scope, [], infer=False)
    memory.store.write_batch(batch)
    first = _graph_counts(memory, user_id)
    memory.store.write_batch(batch)
    assert _graph_counts(memory, user_id) == first
    assert first == {"facts": 1, "about": 2, "from": 1, "relations": 1, "entities": 2}
    mentions = memory.store.read(
        "MATCH (e:Entity {user_id: $u}) RETURN e.key AS key, e.mentions AS m ORDER BY key",
        {"u": user_id},
    )
    assert [(r["key"], r["m"]) for r in mentions] == [("ada", 2), ("initech", 2)]


def test_a_batch_sends_each_moment_once_and_stores_each_as_given(
    memory: Memory, user_id: str
) -> None:
    """write/batch takes the rows' moments from one list (store/neo4j.py, Moments): one
    instant given in two zones stays two moments, and each fact and relation stores its own
    (zone included), a fact without an end none."""
    from graphmem.store.neo4j import batch_row
    from graphmem.writer import NewFact, build_batch

    utc_ten = datetime(2024, 1, 1, 10, 0, tzinfo=timezone.utc)
    plus_two = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    facts = [
        NewFact(f"Ada fact {i}", [1.0], valid_from=at, observed_at=utc_ten)
        for i, at in enumerate([utc_ten, plus_two, utc_ten])
    ]
    row = batch_row(build_batch(Scope(user_id=user_id), "episode-moments", facts))
    assert row["moments"] == [utc_ten, plus_two]
    assert [row["moments"][1].utcoffset()] == [timedelta(hours=2)]
    assert [(f["valid_from"], f["observed_at"], f["valid_to"]) for f in row["facts"]] == [
        (0, 0, None),
        (1, 0, None),
        (0, 0, None),
    ]
    lives = {"source": "Ada", "relation": "lives in", "target": "Oslo"}
    memory.add_facts(
        [
            {"text": "Ada lives in Oslo.", "relations": [lives], "valid_from": plus_two},
            {"text": "Ada likes tea.", "valid_from": utc_ten},
        ],
        user_id=user_id,
        timestamp=utc_ten,
    )
    stored = memory.store.read(
        "MATCH (f:Fact {user_id: $u}) OPTIONAL MATCH ()-[r {fact_id: f.id}]->() "
        "RETURN f.text AS text, f.valid_from.offsetSeconds AS offset, f.valid_from AS start, "
        "f.observed_at AS seen, f.valid_to IS NULL AS open, r.valid_from AS relation_start "
        "ORDER BY text",
        {"u": user_id},
    )
    assert [
        (r["text"], r["offset"], r["start"].to_native(), r["seen"].to_native(), r["open"])
        for r in stored
    ] == [
        ("Ada likes tea.", 0, utc_ten, utc_ten, True),
        ("Ada lives in Oslo.", 7200, plus_two, utc_ten, True),
    ]
    assert stored[1]["relation_start"].to_native() == plus_two
    assert stored[1]["relation_start"].utcoffset() == timedelta(hours=2)


def test_add_facts_keeps_an_entity_vector_and_its_episode_with_the_facts(
    memory: Memory, user_id: str
) -> None:
    """A later mention counts but leaves the entity's vector (its created name's) alone; an
    add without an LLM writes its episode in the same transaction as its facts."""
    first = {"text": "Bo likes tea.", "entities": [{"name": "Bo", "type": "Person"}]}
    memory.add_facts([first], user_id=user_id)
    before = memory.store.read(
        "MATCH (e:Entity {user_id: $u, key: 'bo'}) RETURN e.embedding AS v", {"u": user_id}
    )[0]["v"]
    again = {"text": "BO drinks coffee.", "entities": [{"name": "BO", "type": "Person"}]}
    out = memory.add_facts([again], user_id=user_id)
    row = memory.store.read(
        "MATCH (e:Entity {user_id: $u, key: 'bo'}) RETURN e.embedding AS v, e.mentions AS m, "
        "e.name AS name",
        {"u": user_id},
    )[0]
    assert (row["m"], row["name"]) == (2, "Bo") and row["v"] == before
    episodes = memory.store.read(
        "MATCH (ep:Episode {id: $id}) RETURN ep.status AS s, COUNT { (:Fact)-[:FROM]->(ep) } AS n",
        {"id": out["episode_id"]},
    )
    assert [(r["s"], r["n"]) for r in episodes] == [("stored", 1)]


def test_an_add_sends_an_entity_vector_only_where_none_is_stored(
    memory: Memory, user_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored entity's vector stays, so a later add leaves it out of its rows; an entity
    stored without one (a bulk load's, a cleared slot) gets the add's."""
    from graphmem.store import neo4j as store_neo4j

    sent: list[dict] = []
    real_batch_row = store_neo4j.batch_row

    def recording(batch):  # type: ignore[no-untyped-def]
        row = real_batch_row(batch)
        sent.extend(row["entities"])
        return row

    monkeypatch.setattr(store_neo4j, "batch_row", recording)
    fact = {"text": "Cy reads books.", "entities": [{"name": "Cy", "type": "Person"}]}
    memory.add_facts([fact], user_id=user_id)
    assert [e["embedding"] is not None for e in sent] == [True]
    sent.clear()
    memory.add_facts([{**fact, "text": "Cy reads poems."}], user_id=user_id)
    assert [e["embedding"] for e in sent] == [None]
    vector = "MATCH (e:Entity {user_id: $u, key: 'cy'}) RETURN e.embedding AS v"
    memory.store.write(
        lambda tx: tx.run(
            "MATCH (e:Entity {user_id: $u, key: 'cy'}) REMOVE e.embedding", u=user_id
        ).consume()
    )
    assert memory.store.read(vector, {"u": user_id})[0]["v"] is None
    sent.clear()
    memory.add_facts([{**fact, "text": "Cy reads plays."}], user_id=user_id)
    assert [e["embedding"] is not None for e in sent] == [True]
    assert memory.store.read(vector, {"u": user_id})[0]["v"] is not None


@pytest.mark.parametrize(
    "bad",
    [
        {"messages": ""},
        {"messages": [{"role": "wizard", "content": "hi"}]},
        {"messages": "x" * 40_000},
        {"messages": "hello", "metadata": {"bad key": 1}},
    ],
)
def test_bad_input_is_refused_and_writes_nothing(memory: Memory, user_id: str, bad: dict) -> None:
    with pytest.raises(InputError):
        memory.add(bad["messages"], user_id=user_id, metadata=bad.get("metadata"), infer=False)
    records, _, _ = memory.store.driver.execute_query(
        "MATCH (n) WHERE n.user_id = $u RETURN count(n) AS c",
        u=user_id,
        database_=memory.store.database,
    )
    assert records[0]["c"] == 0


def test_a_scope_is_required(memory: Memory) -> None:
    with pytest.raises(InputError, match="at least one"):
        memory.search("anything")
