"""Recall on the real Neo4j: graph-aware ranking, time travel, reads by id, context block."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from graphmem.context import estimate_tokens, render
from graphmem.diversity import NearestKept
from graphmem.errors import InputError
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.proximity import personalised_pagerank
from graphmem.recall import Recaller, Request
from graphmem.store.recall_rows import Edge
from graphmem.store.vectors import F16_SIMILARITY_ERROR, f16_bytes, f16_similarities
from graphmem.upgrade import fill_f16_copies

QUESTION = "Where does Alice's sister live?"
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
    {
        "text": "Alice lives in Paris.",
        "entities": ["Alice", "Paris"],
        "relations": [{"source": "Alice", "relation": "lives in", "target": "Paris"}],
    },
    {"text": "Carol lives in Madrid.", "entities": ["Carol", "Madrid"]},
    {"text": "Dan's sister lives in Rome.", "entities": ["Dan", "Rome"]},
    {"text": "Erin's sister lives in Oslo.", "entities": ["Erin", "Oslo"]},
    {"text": "Frank lives in Berlin with his sister.", "entities": ["Frank", "Berlin"]},
    {"text": "Where someone lives matters to their sister.", "entities": []},
]


def _texts(result: dict) -> list[str]:
    return [r["memory"] for r in result["results"]]


def test_a_relationship_question_is_answered_through_the_graph(
    memory: Memory, user_id: str
) -> None:
    memory.add_facts(FAMILY, user_id=user_id)
    recaller = Recaller(memory_reads(memory), memory.embedder, 0.7)
    vector_only = recaller.search(Request(QUESTION, Scope(user_id=user_id), mode="vector"))
    assert "Beth lives in Lisbon." not in _texts(vector_only)[:3]  # the graph is needed

    result = memory.search(QUESTION, user_id=user_id, top_k=3)
    assert "Beth lives in Lisbon." in _texts(result)
    hit = next(r for r in result["results"] if r["memory"] == "Beth lives in Lisbon.")
    assert hit["scores"]["graph"] > 0
    assert set(hit["scores"]) == {"vector", "graph", "lexical", "path"}
    assert "graph" in hit["provenance"]["found_by"]
    triples = {(r["source"], r["relation"], r["target"]) for r in result["relations"]}
    assert ("Beth", "LIVES_IN", "Lisbon") in triples
    assert "Beth lives in Lisbon." in result["context"]


def memory_reads(memory: Memory):  # type: ignore[no-untyped-def]
    from graphmem.store.recall_reads import RecallReads

    return RecallReads(memory.store)


def test_as_of_returns_the_old_city(memory: Memory, user_id: str) -> None:
    memory.add_facts(
        [
            {
                "text": "Alice lives in Berlin.",
                "entities": ["Alice", "Berlin"],
                "relations": [{"source": "Alice", "relation": "lives in", "target": "Berlin"}],
                "valid_from": "2015-03-01T00:00:00Z",
                "valid_to": "2022-06-01T00:00:00Z",
            },
            {
                "text": "Alice lives in Lisbon.",
                "entities": ["Alice", "Lisbon"],
                "relations": [{"source": "Alice", "relation": "lives in", "target": "Lisbon"}],
                "valid_from": "2022-06-01T00:00:00Z",
            },
        ],
        user_id=user_id,
    )
    question = "Which city does Alice live in?"
    now = memory.search(question, user_id=user_id, top_k=5)
    assert _texts(now) == ["Alice lives in Lisbon."]
    then = memory.search(question, user_id=user_id, as_of=datetime(2019, 1, 1), top_k=5)
    assert _texts(then) == ["Alice lives in Berlin."]
    assert [(r["source"], r["target"]) for r in then["relations"]] == [("Alice", "Berlin")]
    before = memory.search(
        question, user_id=user_id, as_of=datetime(2010, 1, 1, tzinfo=timezone.utc)
    )
    assert before["results"] == []
    both = memory.search(question, user_id=user_id, include_superseded=True)
    assert set(_texts(both)) == {"Alice lives in Lisbon.", "Alice lives in Berlin."}

    history = memory.entity_history("alice", user_id=user_id)
    assert history is not None and history["entity"]["name"] == "Alice"
    assert [f["memory"] for f in history["facts"]] == [
        "Alice lives in Berlin.",
        "Alice lives in Lisbon.",
    ]
    assert [r["target"] for r in history["relations"]] == ["Berlin", "Lisbon"]
    assert history["relations"][0]["valid_to"].startswith("2022-06-01")
    assert [e["kind"] for e in history["timeline"]].count("relation") == 2
    assert memory.entity_history("nobody", user_id=user_id) is None


def test_nothing_leaves_its_scope(memory: Memory, user_id: str) -> None:
    other = user_id + "-other"
    try:
        memory.add_facts(FAMILY, user_id=other)
        memory.add_facts(["Alice's sister moved to Porto."], user_id=user_id)
        result = memory.search(QUESTION, user_id=user_id, top_k=10)
        assert _texts(result) == ["Alice's sister moved to Porto."]
        assert {r["user_id"] for r in result["results"]} == {user_id}
        assert result["relations"] == []
        their_fact = memory.get_all(user_id=other, limit=1)["results"][0]["id"]
        assert memory.get(their_fact, user_id=user_id) is None
        assert memory.get(their_fact, user_id=other)["id"] == their_fact
    finally:
        memory.reset(user_id=other)


def test_get_and_get_all_with_filters_and_paging(memory: Memory, user_id: str) -> None:
    facts = [{"text": f"Note number {i}.", "metadata": {"n": i, "room": "r1"}} for i in range(5)]
    added = memory.add_facts(facts, user_id=user_id)["results"]
    one = memory.get(added[2]["id"])
    assert one is not None and one["memory"] == "Note number 2." and one["metadata"]["n"] == 2
    assert memory.get("no-such-id") is None
    page = memory.get_all(user_id=user_id, filters={"n": {"gte": 1}}, limit=2, offset=1)
    everything = memory.get_all(user_id=user_id, filters={"n": {"gte": 1}}, limit=10)
    assert len(everything["results"]) == 4
    assert [r["id"] for r in page["results"]] == [r["id"] for r in everything["results"][1:3]]
    with pytest.raises(InputError):
        memory.get_all(user_id=user_id, limit=0)


def test_search_collapses_near_duplicates(memory: Memory, user_id: str) -> None:
    memory.add_facts(["I am allergic to peanuts."], user_id=user_id)
    memory.add_facts(["I am allergic to peanuts!", "I play the violin."], user_id=user_id)
    result = memory.search("What am I allergic to?", user_id=user_id, top_k=5)
    assert _texts(result).count("I play the violin.") == 1
    assert sum("peanuts" in t for t in _texts(result)) == 1
    # Facts an older graphmem wrote (no float16 copies): compared by their stored vectors.
    memory.store.driver.execute_query(
        "MATCH (s:Scope {user_id: $u}) MATCH (f:Fact {scope_key: s.key}) REMOVE f.embedding_f16",
        {"u": user_id},
    )
    again = memory.search("What am I allergic to?", user_id=user_id, top_k=5)
    assert _texts(again) == _texts(result)
    assert [r["score"] for r in again["results"]] == pytest.approx(
        [r["score"] for r in result["results"]], abs=1e-3
    )


def test_the_context_block_keeps_to_its_budget(memory: Memory, user_id: str) -> None:
    memory.add_facts(
        [f"Fact {i}: I visited city number {i} last year." for i in range(30)], user_id=user_id
    )
    result = memory.search(
        "Which cities did I visit?", user_id=user_id, top_k=30, context_tokens=60
    )
    assert 0 < estimate_tokens(result["context"]) <= 60
    assert result["context"].count("\n- ") < 30
    assert render([], [], 800) == ""


def test_search_rejects_bad_input(memory: Memory, user_id: str) -> None:
    with pytest.raises(InputError):
        memory.search(" ", user_id=user_id)
    with pytest.raises(InputError):
        memory.search("x")
    with pytest.raises(InputError):
        memory.search("x", user_id=user_id, top_k=0)


def test_the_blend_adds_the_path_score_only_in_blended_mode() -> None:
    from graphmem.recall import Candidate, Tuning

    tune = Tuning()
    recaller = Recaller(None, None, 0.7, tune, matcher=object())  # type: ignore[arg-type]
    cand = Candidate("f", vector=0.5, graph=1.0, lexical=1.0, path=0.5)
    expected = (
        tune.vector_weight * 0.5 + tune.graph_weight + tune.lexical_weight + tune.path_weight / 2
    )
    assert recaller._blend(cand, "blended") == pytest.approx(expected)
    assert recaller._blend(cand, "vector") == 0.5
    assert recaller._blend(cand, "lexical") == 1.0


def test_nearest_kept_is_the_highest_cosine_to_a_kept_fact() -> None:
    rows = {
        "a": {"vector": [1.0, 0.0]},
        "b": {"vector": [-1.0, 0.0]},
        "c": {"vector": [0.6, 0.8]},
        "d": {"vector": None},  # no vector: similar to none
    }
    nearest = NearestKept(rows, ["a", "b", "c", "d"], kept=0)
    assert nearest.nearest("c") == 0.0 and nearest.marginal("c", 0.5, 0.2) == 0.5
    nearest.keep("b")
    # The highest over kept facts, negative too: b is c's only kept fact.
    assert nearest.nearest("c") == pytest.approx(-0.6)
    assert nearest.marginal("c", 0.5, 0.2) == pytest.approx(0.5 + 0.2 * 0.6)
    nearest.keep("a")
    assert nearest.nearest("c") == pytest.approx(0.6) and nearest.nearest("d") == 0.0
    assert NearestKept(rows, ["a", "c"], kept=1).nearest("c") == pytest.approx(0.6)


def test_proximity_ranks_facts_by_their_distance_from_the_seeds() -> None:
    edges = [Edge("alice", "SISTER_OF", "carol", None, "carol", "Carol", 1)]
    about = {"near": ["alice"], "far": ["carol"], "none": []}
    proximity = personalised_pagerank({"alice": 1.0}, about, edges, [3.0])
    assert proximity["near"] == 1.0 and 0 < proximity["far"] < 1.0
    assert "none" not in proximity  # a fact about no entity is no node
    with pytest.raises(ValueError):
        personalised_pagerank({"alice": 1.0}, about, edges, [1.0, 2.0])


def test_name_keys_cover_possessives_punctuation_and_plurals() -> None:
    from graphmem.words import MAX_NAME_KEYS, name_keys

    keys = name_keys("Where does Alice's sister live? Ask Dr. Smith about New York.")
    for key in ("alice", "alice's sister", "dr. smith", "new york", "sister", "live"):
        assert key in keys
    assert "Alice" not in keys  # keys are normalised like stored entity keys
    assert len(name_keys("word " * 10_000)) <= MAX_NAME_KEYS
    assert name_keys("   ") == []


def test_named_seeds_come_from_the_scope_only(memory: Memory, user_id: str) -> None:
    from graphmem.words import name_keys

    memory.add_facts(FAMILY, user_id=user_id)
    memory.add_facts([{"text": "Beth plays chess.", "entities": ["Beth"]}], user_id=user_id + "-x")
    reads = memory_reads(memory)
    hits = reads.named_entities(Scope(user_id=user_id), name_keys("Is Beth in New York?"))
    assert [h.name for h in hits] == ["Beth"]
    assert hits[0].degree == 2  # Beth is what two of this user's facts are about


def test_the_first_read_answers_as_the_single_reads_do(
    memory: Memory, user_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """recall/candidates (one statement) against the reads it folds, on a scanned scope
    (scored on the server, and from the facts' float16 copies) and with every scope forced
    through the index; the similarities it returns rank the entities' facts as reading
    their vectors does."""
    from graphmem.store import recall_reads
    from graphmem.words import name_keys

    memory.add_facts(FAMILY, user_id=user_id)
    memory.add_facts(["Beth's brother lives in Lisbon too."], user_id=user_id + "-x")
    scope, reads = Scope(user_id=user_id), memory_reads(memory)
    vector = memory.embedder.embed_one(QUESTION)
    keys = name_keys(QUESTION)
    for scan_max, f16_min in ((recall_reads.EXACT_SCAN_MAX, 500), (2000, 0), (0, 500)):
        monkeypatch.setattr(recall_reads, "F16_SCAN_MIN", f16_min)
        recall_reads.EXACT_SCAN_MAX, before = scan_max, recall_reads.EXACT_SCAN_MAX
        try:
            found = reads.candidates(scope, vector, k=5, names=keys, entity_k=10, min_score=-1.0)
            counts = reads.scope_counts(scope, recall_reads.Window())
            assert found.counts == counts  # counted no further than EXACT_SCAN_MAX + 1
            assert found.facts == reads.nearest_facts(scope, vector, 5, scope_facts=counts.facts)
            assert found.named == reads.named_entities(scope, keys)
            near = reads.nearest_entities(scope, vector, 10, -1.0, scope_entities=counts.entities)
            assert found.near == near
            # Scanned: every visible fact's similarity; through the index: none.
            assert len(found.similarities) == (len(FAMILY) if scan_max else 0)
            if scan_max and f16_min == 500:
                exact = found.similarities
            elif scan_max:  # from the float16 copies, on Neo4j's (1 + cosine) / 2 scale
                assert found.similarities.keys() == exact.keys()
                for fid, value in found.similarities.items():
                    assert value == pytest.approx(exact[fid], abs=F16_SIMILARITY_ERROR / 2)
        finally:
            recall_reads.EXACT_SCAN_MAX = before
    found = reads.candidates(scope, vector, k=5, names=keys, entity_k=10, min_score=-1.0)
    entity_ids = [hit.id for hit in found.named]
    reused = reads.entity_facts(
        scope, entity_ids, vector, per_entity=3, similarities=found.similarities
    )
    # Without similarities the facts' float16 copies are scored (within the bound); a
    # similarity map that names none of them makes entity_facts read every vector itself.
    from_copies = reads.entity_facts(scope, entity_ids, vector, per_entity=3)
    read_again = reads.entity_facts(scope, entity_ids, vector, per_entity=3, similarities=NONE)
    assert len(reused) > 0
    assert [row[:2] for row in reused] == [row[:2] for row in read_again]
    assert [row[2] for row in reused] == pytest.approx([row[2] for row in read_again])
    assert [row[:2] for row in from_copies] == [row[:2] for row in read_again]
    assert [row[2] for row in from_copies] == pytest.approx(
        [row[2] for row in read_again],
        abs=F16_SIMILARITY_ERROR,  # scores are cosines
    )


# A similarity map that names no fact: entity_facts then scores every fact from its vector.
NONE = {"no-such-fact": 0.0}


def test_float16_copies_score_within_their_bound() -> None:
    rng = np.random.default_rng(7)
    query_vector = rng.normal(size=384)
    vectors = rng.normal(size=(500, 384)) * rng.uniform(0.01, 40.0, size=(500, 1))
    vectors[:5] = query_vector  # exact matches, and near-ties among them
    exact = (
        vectors @ query_vector / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query_vector))
    )
    copies = f16_similarities(query_vector.tolist(), [f16_bytes(v) for v in vectors])
    assert np.abs(copies - exact).max() <= F16_SIMILARITY_ERROR
    assert len(f16_bytes(vectors[0])) == 2 * 384
    assert f16_similarities(query_vector.tolist(), []).size == 0


def test_a_large_scope_scanned_from_float16_copies_ranks_as_the_exact_scan(
    memory: Memory, user_id: str
) -> None:
    """recall/fact_scan_f16 + the exact re-score of its shortlist (what a large scope's
    short index answer falls back to) returns fact_scan's hits: same ids, order, scores and
    entities, also among near-ties and when some facts have no float16 copy."""
    from graphmem.filters import NO_FILTER
    from graphmem.store.cypher import query
    from graphmem.store.recall_rows import Window

    rooms = ["red", "blue", "green", "amber"]
    facts = [
        {"text": f"Meeting {i} moved to the {rooms[i % 4]} room.", "entities": [f"Meeting {i}"]}
        for i in range(40)
    ]
    memory.add_facts(facts, user_id=user_id)
    scope, reads = Scope(user_id=user_id), memory_reads(memory)
    vector = memory.embedder.embed_one("Which room did the meeting move to?")

    def both(k: int) -> tuple[list, list]:
        params = reads._nearest_params(scope, vector, k, Window(), NO_FILTER)
        exact = reads._hits(query("recall/fact_scan"), params)
        return reads._scan_large(params, NO_FILTER), exact

    for k in (1, 3, 10, 40, 60):
        from_copies, exact = both(k)
        assert from_copies == exact and len(exact) == min(k, 40)
    shown = memory.get_all(user_id=user_id)["results"][0]
    assert not [key for key in shown if "embedding" in key]
    # Facts written before the copies existed: the scan reads the vectors as before.
    memory.store.write(
        lambda tx: tx.run(
            "MATCH (s:Scope {user_id: $u}) MATCH (f:Fact {scope_key: s.key}) "
            "WITH f LIMIT 5 REMOVE f.embedding_f16",
            {"u": user_id},
        ).consume()
    )
    from_copies, exact = both(10)
    assert from_copies == exact and len(exact) == 10
    # graphmem upgrade writes the missing copies; each is the one an add writes.
    assert fill_f16_copies(memory.store, batch_size=2) >= 5
    copies = memory.store.read(
        "MATCH (s:Scope {user_id: $u}) MATCH (f:Fact {scope_key: s.key}) "
        "RETURN f.embedding AS vector, f.embedding_f16 AS f16",
        {"u": user_id},
    )
    assert len(copies) == 40
    for row in copies:
        assert row["f16"] is not None
        unit = np.asarray(row["vector"]) / np.linalg.norm(row["vector"])
        assert np.allclose(np.frombuffer(row["f16"], "<f2"), unit, atol=1e-3)
    assert both(10)[0] == exact


def test_a_hub_is_walked_to_but_not_through(memory: Memory, user_id: str) -> None:
    """Two hops out of Alice reach Carol through Beth; with Beth over through_max
    relationships, Beth is still reached but Carol is not."""
    facts = [
        {
            "text": "Alice knows Beth.",
            "entities": ["Alice", "Beth"],
            "relations": [{"source": "Alice", "relation": "knows", "target": "Beth"}],
        },
        {
            "text": "Beth knows Carol.",
            "entities": ["Beth", "Carol"],
            "relations": [{"source": "Beth", "relation": "knows", "target": "Carol"}],
        },
    ]
    memory.add_facts(facts, user_id=user_id)
    scope, reads = Scope(user_id=user_id), memory_reads(memory)
    alice = reads.named_entities(scope, ["alice"])[0].id

    def reached(through_max: int) -> set[str]:
        edges = reads.walk(scope, [alice], {}, degree_cap=10, through_max=through_max)
        return {edge.reached_name for edge in edges}

    assert reached(200) == {"Beth", "Carol"}
    assert reached(3) == {"Beth"}  # Beth: two relations and two facts' ABOUT links
    # A seed only a relational path reached is walked one hop.
    one_hop = reads.walk(scope, [alice], {}, degree_cap=10, through_max=200, one_hop_ids=[alice])
    assert {edge.reached_name for edge in one_hop} == {"Beth"}
