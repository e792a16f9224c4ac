"""A small scope's whole graph, read by recall/candidates, answering the walk's reads.

On a small scope the round trips, not the work, were most of a search: recall/walk,
recall/entity_facts and each hop of recall/hop cost a statement apiece (~3 ms of client time
each, bench/profile_search.py) to read a graph of a few hundred nodes. recall/candidates
reads such a scope's graph whole when the search will walk it (its entities, the relations
between them valid in the read's window, each visible fact's entities; every visible fact's
similarity comes with its scan), and ScopeGraph answers those reads from it as their
statements do: the same rows, selected, ordered and limited the same way. Where a statement
leaves the order open (ties in its ORDER BY), this keeps the order the graph was read in.

Everything here is already confined to the search's scope, read window and filter: a
ScopeGraph serves the one search whose candidates read it (RecallReads.over).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from graphmem.store.recall_rows import Edge, Link


# Named tuples: a search of a small scope builds one per entity and relation (~700 for a
# 400-fact scope), and a tuple builds in a fraction of a frozen dataclass's time (whose
# __init__ sets each field through object.__setattr__). Either is one object without a
# __dict__: the graph is garbage soon after, and fewer objects mean fewer collections (a
# full one cost ~70 ms in bench/scale.py's process).
class GraphEntity(NamedTuple):
    id: str
    name: str
    type: str | None  # its type label (Person, Organization, ...)
    labels: frozenset[str]
    mentions: int | None
    facts: int  # facts about it (ABOUT links, any status): the reads' "degree"
    links: int  # all its relationships, ABOUT links included (recall/walk's through_max)


class GraphRelation(NamedTuple):
    source_id: str
    kind: str  # its type, or a retired relation's own type (coalesce(r.relation, type(r)))
    target_id: str
    fact_id: str | None


class ScopeGraph:
    """The entities, window-valid relations and visible facts of one search's scope."""

    def __init__(
        self,
        entities: Sequence[GraphEntity],
        relations: Sequence[GraphRelation],
        about: Mapping[str, Sequence[str]],
        similarities: Mapping[str, float],
        rows: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """`about`: each visible fact's entity ids; `similarities`: each visible fact's
        similarity to the query, on the scale of Neo4j's vector.similarity.cosine, exact
        (the scan's: fact_rows takes the rows' scores from them); `rows`:
        each visible fact's row as recall/fact_rows returns it, where they were read (a
        scope of no more facts than the search's candidate pool)."""
        self.entities = {e.id: e for e in entities}
        self.rows = rows or {}
        self.about = about
        self.similarities = similarities
        # Each relation as seen from either end (recall/walk and recall/hop match it
        # undirected), in the order read.
        self._incident: dict[str, list[tuple[GraphRelation, GraphEntity]]] = {}
        for rel in relations:
            source, target = self.entities.get(rel.source_id), self.entities.get(rel.target_id)
            if source is None or target is None:
                continue
            self._incident.setdefault(source.id, []).append((rel, target))
            if target.id != source.id:
                self._incident.setdefault(target.id, []).append((rel, source))
        # Each entity's visible facts, nearest the query first (ties by id, as the scan).
        self._facts_of: dict[str, list[str]] = {}
        for fid in sorted(self.about, key=lambda f: (-self.similarities[f], f)):
            for eid in self.about[fid]:
                self._facts_of.setdefault(eid, []).append(fid)

    @classmethod
    def from_rows(
        cls,
        entities: Sequence[Sequence[Any]],
        relations: Mapping[str, Sequence[str]],
        about: Mapping[str, Sequence[str]],
        similarities: Mapping[str, float],
        rows: Sequence[Mapping[str, Any]] = (),
    ) -> ScopeGraph:
        """From recall/candidates' graph_entities (a row each), graph_relations and
        graph_about (columns; '' for a relation without a fact, a fact about no entity)
        and graph_rows."""
        entity_ids: dict[str, list[str]] = {}
        for fid, eid in zip(about["facts"], about["entities"], strict=True):
            ids = entity_ids.setdefault(fid, [])
            if eid:
                ids.append(eid)
        columns = zip(
            relations["sources"], relations["kinds"], relations["targets"], relations["facts"],
            strict=True,
        )  # fmt: skip
        return cls(
            [
                GraphEntity(eid, name, kind, frozenset(labels), mentions, int(facts), int(links))
                for eid, name, kind, labels, mentions, facts, links in entities
            ],
            [GraphRelation(s, kind, t, fid or None) for s, kind, t, fid in columns],
            entity_ids,
            similarities,
            {row["fact"]["id"]: row for row in rows},
        )

    def walk(
        self,
        seed_ids: Sequence[str],
        type_weights: Mapping[str, float],
        *,
        degree_cap: int,
        through_max: int,
        one_hop_ids: Sequence[str] = (),
    ) -> list[Edge]:
        """recall/walk: each seed's degree_cap best relations (hop 1) and, but for seeds in
        one_hop_ids, those of each neighbour of at most through_max relationships (hop 2)."""
        rows: dict[Edge, None] = {}
        one_hop = set(one_hop_ids)
        for seed in seed_ids:
            if seed not in self.entities:
                continue
            first = self._neighbours(seed, type_weights, degree_cap)
            for rel, reached in first:
                rows.setdefault(_edge(rel, reached, 1))
            if seed in one_hop:
                continue
            for _, middle in first:
                if middle.links > through_max:
                    continue
                for rel, reached in self._neighbours(middle.id, type_weights, degree_cap):
                    if reached.id != seed:
                        rows.setdefault(_edge(rel, reached, 2))
        return list(rows)

    def _neighbours(
        self, entity_id: str, type_weights: Mapping[str, float], cap: int
    ) -> list[tuple[GraphRelation, GraphEntity]]:
        """recall/walk's ORDER BY asked DESC, b.mentions DESC, b.id LIMIT cap (Cypher's
        null sorts as the largest value: first when descending). Relations to one neighbour
        that tie stay in the order read: the walk weighs them alike."""

        def rank(pair: tuple[GraphRelation, GraphEntity]) -> tuple[Any, ...]:
            rel, far = pair
            mentions = -math.inf if far.mentions is None else -far.mentions
            return (-type_weights.get(rel.kind, 0.0), mentions, far.id)

        return sorted(self._incident.get(entity_id, ()), key=rank)[:cap]

    def hop(
        self,
        node_ids: Sequence[str],
        type_weights: Mapping[str, float],
        labels: Sequence[str],
        *,
        per_node: int,
    ) -> list[Link]:
        """recall/hop: each node's relations of a weighted type (or to an entity with one
        of `labels`) resting on a visible fact, per_node best types then nearest facts."""
        wanted = set(labels)
        links: list[Link] = []
        for node_id in node_ids:
            node = self.entities.get(node_id)
            if node is None:
                continue
            found = []
            for rel, far in self._incident.get(node_id, ()):
                similarity = self.similarities.get(rel.fact_id or "")
                if similarity is None:
                    continue
                if rel.kind in type_weights or far.labels & wanted:
                    found.append((type_weights.get(rel.kind, 0.0), similarity, rel, far))
            # recall/hop's ORDER BY weight DESC, similarity DESC, f.id, b.id, kind
            found.sort(key=lambda row: (-row[0], -row[1], row[2].fact_id, row[3].id, row[2].kind))
            links += [
                Link(node.id, node.name, rel.source_id == node.id, rel.kind, far.id, far.name,
                     far.type, rel.fact_id or "", 2 * similarity - 1)
                for _, similarity, rel, far in found[:per_node]
            ]  # fmt: skip
        return links

    def entity_facts(
        self, entity_ids: Sequence[str], *, per_entity: int
    ) -> list[tuple[str, str, float, list[str]]]:
        """recall/entity_facts: (entity id, fact id, raw cosine, the fact's entity ids) for
        each entity's per_entity visible facts nearest the query."""
        return [
            (eid, fid, self.cosine(fid), list(self.about[fid]))
            for eid in entity_ids
            if eid in self.entities
            for fid in self._facts_of.get(eid, [])[:per_entity]
        ]

    def fact_links(
        self, ids: Sequence[str]
    ) -> tuple[list[tuple[str, float, dict[str, int]]], list[str]]:
        """recall/fact_links for the visible facts among `ids` (raw cosine, {entity id: its
        fact count}), and the ids this graph does not hold (the caller reads those)."""
        known = [
            (fid, self.cosine(fid), {e: self._facts(e) for e in self.about[fid]})
            for fid in ids
            if fid in self.about
        ]
        return known, [fid for fid in ids if fid not in self.about]

    def cosine(self, fact_id: str) -> float:
        """A visible fact's raw cosine to the query (its similarity is on Neo4j's scale)."""
        return 2 * self.similarities[fact_id] - 1

    def _facts(self, entity_id: str) -> int:
        entity = self.entities.get(entity_id)
        return entity.facts if entity is not None else 0


def _edge(rel: GraphRelation, reached: GraphEntity, hop: int) -> Edge:
    return Edge(
        rel.source_id, rel.kind, rel.target_id, rel.fact_id, reached.id, reached.name, hop,
        reached.facts,
    )  # fmt: skip
