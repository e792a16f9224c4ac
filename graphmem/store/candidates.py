"""Resolution candidates from the store, always within the one scope an add writes to.

Entities by exact key and by vector similarity; facts by content hash and by vector
similarity. Similarity is raw cosine (Neo4j's scores are converted). Results are exact for
every scope size: small scopes are scanned; large ones use the vector index with an
over-fetch, and are scanned anyway when the over-fetch may have cut off qualifying nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from graphmem.models import Scope
from graphmem.resolve import EntityCandidate, FactCandidate
from graphmem.shapes import utc
from graphmem.store.cypher import query
from graphmem.store.neo4j import EXACT_SCAN_MAX_FACTS, MAX_FETCH_K, Reader, Vector
from graphmem.validity import Span

CANDIDATES_PER_ITEM = 5
# Over-fetch per item from the vector index on large scopes.
INDEX_FETCH_K = 500
# Scope sizes are counted no further than this: past EXACT_SCAN_MAX_FACTS the index is read.
SCOPE_COUNT_CAP = EXACT_SCAN_MAX_FACTS + 1


@dataclass
class Known:
    """What a scope already holds of an add: entities by exact key, and for each content
    hash (by position) the active facts with equal content; and how many entities the scope
    holds (up to EXACT_SCAN_MAX_FACTS + 1) when that was read with them (else None)."""

    entities: dict[str, EntityCandidate] = field(default_factory=dict)
    duplicates: dict[int, list[FactCandidate]] = field(default_factory=dict)
    entity_count: int | None = None


def known(store: Reader, scope: Scope, keys: Sequence[str], hashes: Sequence[str]) -> Known:
    """Entities with these exact keys and facts with these content hashes: one round trip."""
    if not keys and not hashes:
        return Known()
    return known_from(store.read(query("resolve/known"), known_params(scope, keys, hashes))[0])


def known_params(scope: Scope, keys: Sequence[str], hashes: Sequence[str]) -> dict[str, Any]:
    """The parameters of resolve/parts/known (for resolve/known and write/open_add)."""
    return {
        "scope_key": scope.key,
        "keys": sorted(set(keys)),
        "items": [{"index": i, "content_hash": h} for i, h in enumerate(hashes)],
    }


def known_from(record: Any) -> Known:
    """Known from a record of resolve/parts/known's `entities` and `facts`, with the
    `entity_count` of resolve/parts/entity_count when the statement read it."""
    entities = {
        e["key"]: EntityCandidate(
            e["id"],
            e["key"],
            e["name"],
            e["type"],
            aliases=frozenset(e["aliases"] or ()),
            embedded=e["embedded"],
        )
        for e in record["entities"]
    }
    duplicates = {i: [_fact(h) for h in hits] for i, hits in _grouped(record["facts"]).items()}
    return Known(entities, duplicates, record.get("entity_count"))


def entities_by_key(store: Reader, scope: Scope, keys: Sequence[str]) -> dict[str, EntityCandidate]:
    """Existing entities of the scope with these exact keys."""
    return known(store, scope, keys, []).entities


def similar_entities(
    store: Reader,
    scope: Scope,
    items: Sequence[tuple[str, list[float]]],
    threshold: float,
    size: int | None = None,
) -> dict[int, list[EntityCandidate]]:
    """For each (key, embedding), other entities of the scope at raw cosine >= threshold.
    `size`: the scope's entity count when already read (Known.entity_count)."""
    rows = [
        {"index": i, "key": key, "embedding": Vector(vec)} for i, (key, vec) in enumerate(items)
    ]
    found = _similar(store, scope, rows, threshold, "entity", size)
    return {i: [_entity(h) for h in hits] for i, hits in found.items()}


def similar_facts(
    store: Reader,
    scope: Scope,
    items: Sequence[tuple[str, list[float]]],
    threshold: float,
) -> dict[int, list[FactCandidate]]:
    """For each (content_hash, embedding), active facts of the scope that are similar or equal."""
    rows = [
        {"index": i, "content_hash": digest, "embedding": Vector(vec)}
        for i, (digest, vec) in enumerate(items)
    ]
    found = _similar(store, scope, rows, threshold, "fact")
    return {i: [_fact(h) for h in hits] for i, hits in found.items()}


def facts_behind_relations(
    store: Reader, scope: Scope, items: Sequence[tuple[int, str, str, str, list[float]]]
) -> dict[int, list[FactCandidate]]:
    """For each (index, source_key, type, target_key, fact embedding): the active facts of
    current relations of that type from that source to another target."""
    rows = [
        {"index": i, "source_key": s, "type": t, "target_key": o, "embedding": Vector(v)}
        for i, s, t, o, v in items
    ]
    if not rows:
        return {}
    records = store.read(query("resolve/relation_facts"), {"scope_key": scope.key, "items": rows})
    return {i: [_fact(h) for h in hits] for i, hits in _grouped(records).items()}


def _similar(
    store: Reader,
    scope: Scope,
    rows: list[dict[str, Any]],
    threshold: float,
    kind: str,
    size: int | None = None,
) -> dict[int, list[dict[str, Any]]]:
    if not rows:
        return {}
    params = {
        "scope_key": scope.key,
        "items": rows,
        "threshold": threshold,
        "k": CANDIDATES_PER_ITEM,
    }
    if size is None:
        counts = store.read(
            query("resolve/scope_counts"), {"scope_key": scope.key, "cap": SCOPE_COUNT_CAP}
        )[0]
        size = counts["entities"] if kind == "entity" else counts["facts"]
    if size <= EXACT_SCAN_MAX_FACTS:
        return _grouped(store.read(query(f"resolve/{kind}_vector_exact"), params))
    fetch_k = min(MAX_FETCH_K, INDEX_FETCH_K)
    records = store.read(query(f"resolve/{kind}_vector_index"), {**params, "fetch_k": fetch_k})
    if any(r["fetched"] >= fetch_k and r["lowest"] >= threshold for r in records):
        # Every fetched node qualified: more may lie beyond the over-fetch.
        return _grouped(store.read(query(f"resolve/{kind}_vector_exact"), params))
    found = {r["index"]: list(r["hits"]) for r in records if r["hits"]}
    if kind == "fact":
        # Equal content is a duplicate at any rank; the index may not have reached it.
        hashes = [row["content_hash"] for row in rows]
        for index, hits in known(store, scope, [], hashes).duplicates.items():
            seen = {h["id"] for h in found.get(index, [])}
            found.setdefault(index, []).extend(_hit(h) for h in hits if h.id not in seen)
    return found


def _hit(fact: FactCandidate) -> dict[str, Any]:
    """A candidate back as the row it was read from (to merge with other reads)."""
    return {**asdict(fact), **asdict(fact.span)}


def _grouped(records: Sequence[Any]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        row = dict(record)
        found.setdefault(row.pop("index"), []).append(row)
    return found


def _entity(hit: dict[str, Any]) -> EntityCandidate:
    return EntityCandidate(hit["id"], hit["key"], hit["name"], hit["type"], float(hit["score"]))


def _fact(hit: dict[str, Any]) -> FactCandidate:
    span = Span(
        valid_from=utc(hit.get("valid_from")),
        valid_to=utc(hit.get("valid_to")),
        observed_at=utc(hit.get("observed_at")),
    )
    return FactCandidate(hit["id"], hit["text"], hit["content_hash"], float(hit["score"]), span)
