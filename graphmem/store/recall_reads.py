"""The reads recall makes, through the named statements in cypher/recall/.

Every read is confined to a scope (the Scope's ids as parameters) and, where it returns
facts, to a visibility window (statuses, as_of, valid_after) and the caller's compiled
filter. Nearest-neighbour reads are exact under all of these: small scopes are scanned;
large ones ask the vector index for an over-fetch, once more for a larger one sized by
how many survived, and fall back to the scan when still too few hits survive the filters
(on 5.26 the index filters after its top-k). Where the server's
SEARCH clause filters inside the index (2026.06+, see GraphStore.vector_search), the index
is asked through SEARCH with the scope as its filter (recall/fact_search, entity_search).

A search's first reads (the scope's size, its nearest facts and entities, the entities the
query names) go in one statement, recall/candidates, built from the same Cypher fragments
(cypher/recall/parts/) as the single reads: every statement is a round trip, and on a
small scope the round trips, not the work, were most of a search (bench/profile_search.py).
For the same reason a small scope's whole graph comes with them when the search will walk
it, and the walk's reads are answered from it in the client (store/scope_graph.py, over()).

Where a read would score hundreds or thousands of facts on the server (a scanned scope of
more than F16_SCAN_MIN facts, the scan a short index answer falls back to, the reached
entities' facts of a scope the index answered) it reads the facts' float16 copies instead
(store/vectors.py) and scores them here: on 5.26 a byte array comes back as stored, where
reading a float list and scoring it costs ~15 us a fact. Nearest reads stay exact: every fact
that could be in the top k is scored again from its stored vector (recall/fact_hits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import numpy as np

from graphmem.filters import NO_FILTER, Predicate
from graphmem.identifiers import RESERVED_LABELS, RESERVED_RELATIONS
from graphmem.models import Scope
from graphmem.store.cypher import query
from graphmem.store.neo4j import (
    EXACT_SCAN_MAX_FACTS,
    MAX_FETCH_K,
    MIN_FETCH_K,
    OVERFETCH_FACTOR,
    GraphStore,
    Reader,
    VectorSearch,
)
from graphmem.store.recall_rows import Edge, Hit, Link, ScopeCounts, Vocabulary, Window
from graphmem.store.scope_graph import ScopeGraph
from graphmem.store.vectors import F16_SIMILARITY_ERROR, f16_similarities, vector_values
from graphmem.words import STOPWORDS

T = TypeVar("T")
# Module-level so tests can force the index path (see store/neo4j.py for the policy).
EXACT_SCAN_MAX = EXACT_SCAN_MAX_FACTS
# A scanned scope of more facts than this is scored from its facts' float16 copies (store/
# vectors.py) in the client: from ~500 facts that is cheaper than the server's cosine (834
# facts: ~7 ms against ~17), below it the extra round trip (recall/fact_hits) is not.
F16_SCAN_MIN = 500
# A scanned scope (<= F16_SCAN_MIN facts: the graph's facts take their similarities from the
# scan) of at most GRAPH_MAX_ENTITIES entities and GRAPH_MAX_RELATIONS relations comes with
# its whole graph when the search will walk it (store/scope_graph.py). The read grows with
# the graph (~7 us an entity, ~6 a relation, ~15 a fact on the server), the statements it
# spares (walk, entity_facts, each hop) cost ~3 ms each: bench/README.md section 7.
GRAPH_MAX_FACTS = F16_SCAN_MIN
GRAPH_MAX_ENTITIES = 300
GRAPH_MAX_RELATIONS = 600
# Lucene's own syntax never reaches the index: queries are plain words, OR-ed.
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 32
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Candidates:
    """What one search's first read returns (RecallReads.candidates)."""

    counts: ScopeCounts
    facts: list[Hit]  # the nearest visible facts, best first, exact
    named: list[Hit]  # the scope's entities the query names
    near: list[Hit]  # the scope's entities nearest the query, at >= min_score, exact
    # Every visible fact's raw similarity when the scope was scanned ({} when the index
    # answered; from the float16 copies, within F16_SIMILARITY_ERROR / 2, for a scope of
    # more than F16_SCAN_MIN facts): entity_facts ranks from them instead of reading the
    # vectors again.
    similarities: dict[str, float] = field(default_factory=dict)
    graph: ScopeGraph | None = None  # a small scope's whole graph, when asked for


def lucene_terms(text: str) -> str:
    """Plain words of `text` as an OR query, free of Lucene operators ('' if none)."""
    words = [w.lower().replace("_", " ").strip() for w in _WORD.findall(text)]
    kept = [w for w in words if w and w not in STOPWORDS]
    unique = list(dict.fromkeys(kept))[:MAX_TERMS]
    return " OR ".join(f'"{w}"' for w in unique)


class RecallReads:
    """Scoped, filtered reads for the recall pipeline."""

    def __init__(
        self, store: GraphStore, reader: Reader | None = None, graph: ScopeGraph | None = None
    ) -> None:
        self.store = store
        self._reader: Reader = reader or store
        # One search's scope graph (Candidates.graph): walk, hop, entity_facts, fact_links
        # and fact_rows answer from it, for that search's scope, window and filter only.
        self._graph = graph

    def over(self, graph: ScopeGraph) -> RecallReads:
        """These reads, with walk, hop, entity_facts, fact_links and (where it holds them)
        fact_rows answered from `graph` (the search's Candidates.graph)."""
        return RecallReads(self.store, self._reader, graph)

    def snapshot(self, work: Callable[[RecallReads], T]) -> T:
        """Run `work` with reads that all share one read transaction (see
        GraphStore.read_snapshot); the whole of `work` is retried on transient errors."""
        return self.store.read_snapshot(lambda reader: work(RecallReads(self.store, reader)))

    def scope_counts(self, scope: Scope, window: Window) -> ScopeCounts:
        """How many visible facts and entities the scope holds (each counted up to just past
        EXACT_SCAN_MAX) and its version (its scope keys with their write counts)."""
        params = {**scope.params(), "statuses": list(window.statuses), "cap": EXACT_SCAN_MAX + 1}
        return _counts(self._reader.read(query("recall/scope_counts"), params)[0])

    def candidates(
        self,
        scope: Scope,
        embedding: list[float],
        *,
        k: int,
        names: Sequence[str],
        entity_k: int,
        min_score: float,
        window: Window = Window(),
        where: Predicate = NO_FILTER,
        with_graph: bool = False,
    ) -> Candidates:
        """A search's first read in one statement (recall/candidates): the scope's counts
        and version, its k nearest facts (as nearest_facts), the entities named by `names`
        (as named_entities) and its entity_k nearest entities at >= min_score (as
        nearest_entities). An index answer that came back short is completed as
        nearest_facts / nearest_entities complete theirs: by a larger over-fetch or a scan.
        with_graph (the search will walk the graph): a scope of at most GRAPH_MAX_FACTS
        facts, GRAPH_MAX_ENTITIES entities and GRAPH_MAX_RELATIONS relations comes with its
        whole graph (Candidates.graph; answer the walk from it with over())."""
        params = self._nearest_params(scope, embedding, k, window, where)
        params.update(self._entity_params(scope, embedding, entity_k, min_score))
        params.update(names=list(names), cap=EXACT_SCAN_MAX + 1, exact_max=EXACT_SCAN_MAX)
        params.update(f16_scan_min=F16_SCAN_MIN)
        # The statement takes a graph only where it scanned (k > 0, <= F16_SCAN_MIN facts).
        params.update(graph_facts=GRAPH_MAX_FACTS if with_graph else 0)
        params.update(graph_entities=GRAPH_MAX_ENTITIES, graph_relations=GRAPH_MAX_RELATIONS)
        params.update(known_scores={})  # graph_rows (recall/parts/fact_row) score every row
        statement = where.apply(_searched(query("recall/candidates"), self.store.vector_search()))
        row = self._reader.read(statement, params)[0]
        counts = _counts(row)
        facts = [_hit(r) for r in row["scanned_facts"]]
        similarities = {fid: float(value) for fid, value in row["scanned_similarities"]}
        if row["f16_facts"]:
            facts, similarities = self._scan_copies(row, params, where)
        if counts.facts > EXACT_SCAN_MAX and k > 0:
            indexed = [_hit(r) for r in row["indexed_facts"]]
            facts = self._complete_facts(indexed, k, params, where)
        near = [_hit(r) for r in row["scanned_entities"]]
        if counts.entities > EXACT_SCAN_MAX and entity_k > 0:
            indexed = [_hit(r) for r in row["indexed_entities"]]
            near = self._complete_entities(indexed, entity_k, params)
        named = [_hit(r) for r in row["named"]]
        graph = None
        if row["whole_graph"]:
            graph = ScopeGraph.from_rows(
                row["graph_entities"], row["graph_relations"], row["graph_about"], similarities,
                row["graph_rows"],
            )  # fmt: skip
        return Candidates(counts, facts, named, near, similarities, graph)

    def nearest_facts(
        self,
        scope: Scope,
        embedding: list[float],
        k: int,
        *,
        window: Window = Window(),
        where: Predicate = NO_FILTER,
        scope_facts: int | None = None,
    ) -> list[Hit]:
        """The k visible facts nearest the embedding, exact (see the module docstring)."""
        params = self._nearest_params(scope, embedding, k, window, where)
        if scope_facts is None:
            scope_facts = self.scope_counts(scope, window).facts
        if scope_facts <= EXACT_SCAN_MAX:
            return self._hits(where.apply(query("recall/fact_scan")), params)
        indexed = where.apply(query(nearest_statements(self.store)[0]))
        return self._complete_facts(self._hits(indexed, params), k, params, where)

    def _complete_facts(
        self, hits: list[Hit], k: int, params: dict[str, Any], where: Predicate
    ) -> list[Hit]:
        """An index answer (fetched with params["fetch_k"]) made exact: when fewer than k
        survived the filters, one larger over-fetch, then the scan."""
        fetch_k = params["fetch_k"]
        if 0 < len(hits) < k and fetch_k < MAX_FETCH_K:
            # The scope's share of what came back predicts the over-fetch that reaches k: one
            # larger index read (twice that) costs less than scanning a scope of thousands.
            fetch_k = min(MAX_FETCH_K, 2 * fetch_k * k // len(hits))
            indexed = where.apply(query(nearest_statements(self.store)[0]))
            hits = self._hits(indexed, {**params, "fetch_k": fetch_k})
        if len(hits) >= k:
            return hits
        return self._scan_large(params, where)

    def _scan_large(self, params: dict[str, Any], where: Predicate) -> list[Hit]:
        """recall/fact_scan's answer for a scope too large to scan on the server: its facts'
        float16 copies scored here, then every fact that could be in the exact top k (within
        twice F16_SIMILARITY_ERROR of the k-th) scored from its stored vector and ranked as
        fact_scan ranks. A scope with facts that have no copy is scanned as before."""
        found = self._reader.read(where.apply(query("recall/fact_scan_f16")), params)[0]
        return self._scan_copies(found, params, where)[0]

    def _scan_copies(
        self, found: Mapping[str, Any], params: dict[str, Any], where: Predicate
    ) -> tuple[list[Hit], dict[str, float]]:
        """A scope's exact top params["k"] from its facts' float16 copies (recall/parts/
        facts_f16's f16_facts, f16_ids, f16_vectors), with every fact's similarity (for
        entity_facts): each fact within twice F16_SIMILARITY_ERROR of the k-th is scored
        from its stored vector (recall/fact_hits), so the hits are recall/fact_scan's. A
        scope with facts that have no copy (an older graphmem wrote them) is scanned on the
        server as before, without similarities."""
        ids, vectors = found["f16_ids"], found["f16_vectors"]
        if len(vectors) != found["f16_facts"]:
            return self._hits(where.apply(query("recall/fact_scan")), params), {}
        k = min(params["k"], len(ids))
        if k <= 0:
            return [], {}
        cosines = f16_similarities(params["embedding"], vectors)
        kth = np.partition(cosines, -k)[-k]
        shortlist = [i for i, c in zip(ids, cosines, strict=True)
                     if c >= kth - 2 * F16_SIMILARITY_ERROR]  # fmt: skip
        hits = self._hits(query("recall/fact_hits"), {**params, "ids": shortlist})
        return hits, dict(zip(ids, _similarity(cosines), strict=True))

    def nearest_entities(
        self,
        scope: Scope,
        embedding: list[float],
        k: int,
        min_score: float,
        *,
        scope_entities: int | None = None,
    ) -> list[Hit]:
        """The scope's entities at >= min_score raw cosine, best k, exact."""
        params = self._entity_params(scope, embedding, k, min_score)
        if scope_entities is not None and scope_entities <= EXACT_SCAN_MAX:
            return self._hits(query("recall/entity_scan"), params)
        hits = self._hits(query(nearest_statements(self.store)[1]), params)
        return self._complete_entities(hits, k, params)

    def _complete_entities(self, hits: list[Hit], k: int, params: dict[str, Any]) -> list[Hit]:
        """An index answer for entities made exact: the scan when fewer than k came back
        (either the scope has fewer matches or they fell outside the over-fetch)."""
        return hits if len(hits) >= k else self._hits(query("recall/entity_scan"), params)

    @staticmethod
    def _nearest_params(
        scope: Scope, embedding: list[float], k: int, window: Window, where: Predicate
    ) -> dict[str, Any]:
        params = {**scope.params(), **window.params(), **where.params, "embedding": embedding}
        params.update(k=k, fetch_k=_fetch_k(k))
        return params

    @staticmethod
    def _entity_params(
        scope: Scope, embedding: list[float], k: int, min_score: float
    ) -> dict[str, Any]:
        return {
            **scope.params(),
            "embedding": embedding,
            "entity_k": k,
            "entity_fetch_k": _fetch_k(k),
            "min_score": min_score,
        }

    def lexical_facts(
        self,
        scope: Scope,
        text: str,
        k: int,
        *,
        window: Window = Window(),
        where: Predicate = NO_FILTER,
    ) -> list[Hit]:
        terms = lucene_terms(text)
        if not terms:
            return []
        params = {**scope.params(), **window.params(), **where.params, "terms": terms, "k": k}
        return self._hits(where.apply(query("recall/fulltext_facts")), params)

    def named_entities(self, scope: Scope, keys: Sequence[str]) -> list[Hit]:
        """The scope's entities whose normalised name is one of `keys`."""
        if not keys:
            return []
        return self._hits(query("recall/entities_by_key"), {**scope.params(), "names": list(keys)})

    def walk(
        self,
        scope: Scope,
        seed_ids: Sequence[str],
        type_weights: Mapping[str, float],
        *,
        degree_cap: int,
        through_max: int,
        window: Window = Window(),
        one_hop_ids: Sequence[str] = (),
    ) -> list[Edge]:
        """The 1-2 hop neighbourhood of the seeds (recall/walk); those in one_hop_ids are
        walked one hop only."""
        if self._graph is not None:
            return self._graph.walk(
                seed_ids, type_weights, degree_cap=degree_cap, through_max=through_max,
                one_hop_ids=one_hop_ids,
            )  # fmt: skip
        if not seed_ids:
            return []
        params = {
            **scope.params(),
            **window.params(),
            "seed_ids": list(seed_ids),
            "one_hop_ids": list(one_hop_ids),
            "type_weights": dict(type_weights),
            "degree_cap": degree_cap,
            "through_max": through_max,
        }
        return [Edge(**row) for row in self._rows(query("recall/walk"), params)]

    def vocabulary(self, scope: Scope) -> Vocabulary:
        """The relation types and entity labels of the database (graphmem's own aside),
        with the words the scope's facts use for each of its relation types."""
        tokens = self.store.tokens()
        found = Vocabulary(
            {t: [] for t in tokens.relation_types if t not in RESERVED_RELATIONS},
            [label for label in tokens.labels if label not in RESERVED_LABELS],
        )
        for record in self._reader.read(query("recall/relation_words"), scope.params()):
            found.relations.setdefault(record["type"], []).extend(record["words"])
        return found

    def hop(
        self,
        scope: Scope,
        node_ids: Sequence[str],
        type_weights: Mapping[str, float],
        labels: Sequence[str],
        embedding: list[float],
        *,
        per_node: int,
        window: Window = Window(),
        where: Predicate = NO_FILTER,
    ) -> list[Link]:
        """The relations of `node_ids` valid in the window whose facts are visible and
        whose type has a weight (or whose far entity has one of `labels`), at most per_node
        each: the best-matching types first, then the facts nearest the query."""
        if self._graph is not None:
            return self._graph.hop(node_ids, type_weights, labels, per_node=per_node)
        if not node_ids:
            return []
        params = {
            **scope.params(),
            **window.params(),
            **where.params,
            "node_ids": list(node_ids),
            "type_weights": dict(type_weights),
            "types": sorted(type_weights),
            "labels": list(labels),
            "embedding": embedding,
            "per_node": per_node,
        }
        return [Link(**row) for row in self._rows(where.apply(query("recall/hop")), params)]

    def entity_facts(
        self,
        scope: Scope,
        entity_ids: Sequence[str],
        embedding: list[float],
        *,
        per_entity: int,
        window: Window = Window(),
        where: Predicate = NO_FILTER,
        similarities: Mapping[str, float] | None = None,
    ) -> list[tuple[str, str, float, list[str]]]:
        """(entity id, fact id, raw cosine, the fact's entity ids) per entity's nearest facts.
        `similarities` (Candidates.similarities: every visible fact's, from the scan) spare
        reading the facts' vectors again; without them the facts' float16 copies are read
        and scored here first (recall/entity_fact_vectors), so a fact's similarity may lie
        F16_SIMILARITY_ERROR from its stored vector's."""
        if self._graph is not None:
            return self._graph.entity_facts(entity_ids, per_entity=per_entity)
        if not entity_ids:
            return []
        if not similarities:
            similarities = self._similarities_from_copies(scope, entity_ids, embedding, window)
        params = {
            **scope.params(),
            **window.params(),
            **where.params,
            "entity_ids": list(entity_ids),
            "embedding": embedding,
            "per_entity": per_entity,
            "similarities": dict(similarities or {}),
        }
        rows = self._rows(where.apply(query("recall/entity_facts")), params)
        return [(r["entity_id"], r["fact_id"], float(r["score"]), r["entity_ids"]) for r in rows]

    def _similarities_from_copies(
        self, scope: Scope, entity_ids: Sequence[str], embedding: list[float], window: Window
    ) -> dict[str, float]:
        """Fact id -> similarity from the float16 copies of the entities' visible facts, on
        the scale of Neo4j's vector.similarity.cosine ((1 + cosine) / 2)."""
        params = {**scope.params(), **window.params(), "entity_ids": list(entity_ids)}
        found = self._reader.read(query("recall/entity_fact_vectors"), params)[0]
        values = _similarity(f16_similarities(embedding, found["vectors"]))
        return dict(zip(found["ids"], values, strict=True))

    def fact_links(
        self, scope: Scope, ids: Sequence[str], embedding: list[float]
    ) -> list[tuple[str, float, dict[str, int]]]:
        """(fact id, raw cosine, {entity id: its fact count}) for facts of the scope."""
        known: list[tuple[str, float, dict[str, int]]] = []
        if self._graph is not None:
            known, ids = self._graph.fact_links(ids)
        if not ids:
            return known
        params = {**scope.params(), "ids": list(ids), "embedding": embedding}
        rows = self._rows(query("recall/fact_links"), params)
        return known + [
            (r["id"], float(r["score"]), dict(zip(r["entity_ids"], r["degrees"], strict=True)))
            for r in rows
        ]

    def fact_rows(
        self, scope: Scope, ids: Sequence[str], embedding: list[float]
    ) -> list[dict[str, Any]]:
        """Facts by id with their entities ({id, name}), the relations resting on them,
        raw cosine and vector (float32 values of its float16 copy, or of the stored vector
        where a fact has none)."""
        held = self._graph.rows if self._graph is not None else {}
        rows = [held[fid] for fid in ids if fid in held]
        missing = [fid for fid in ids if fid not in held]
        if missing:
            # A graph's similarities are the scan's, exact: the rows' scores need no vector.
            graph = self._graph
            scores = {} if graph is None else {
                fid: graph.cosine(fid) for fid in missing if fid in graph.similarities
            }  # fmt: skip
            params = {**scope.params(), "ids": missing, "embedding": embedding}
            rows += self._rows(query("recall/fact_rows"), {**params, "known_scores": scores})
        return [
            {
                **r["fact"],
                "created_at": _from_micros(r["fact"]["created_at"]),
                "updated_at": _from_micros(r["fact"]["updated_at"]),
                "entities": r["entities"],
                "episodes": r["episodes"],
                "relations": r["relations"],
                "score": float(r["score"]),
                "vector": vector_values(r["embedding"]),
            }
            for r in rows
        ]

    def get_fact(self, scope: Scope | None, fact_id: str) -> dict[str, Any] | None:
        params = {**_scope_params(scope), "id": fact_id}
        records = self._reader.read(query("recall/get_fact"), params)
        return {**records[0]["fact"], "entities": records[0]["entities"]} if records else None

    def get_all(
        self,
        scope: Scope,
        *,
        window: Window,
        where: Predicate,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        params = {
            **scope.params(),
            "statuses": list(window.statuses),
            **where.params,
            "limit": limit,
            "offset": offset,
        }
        records = self._reader.read(where.apply(query("recall/get_all")), params)
        return [{**r["fact"], "entities": r["entities"]} for r in records]

    def entity_history(self, scope: Scope, key: str) -> dict[str, Any] | None:
        records = self._reader.read(query("recall/entity_history"), {**scope.params(), "key": key})
        if not records:
            return None
        record = records[0]
        return {
            "entity": record["entity"],
            "facts": record["facts"],
            "relations": record["relations"],
        }

    def _rows(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of a statement that returns them collected in one record (`rows`):
        the driver's per-record cost was most of the client time of a many-row read."""
        return self._reader.read(statement, params)[0]["rows"]

    def _hits(self, statement: str, params: dict[str, Any]) -> list[Hit]:
        return [_hit(r) for r in self._reader.read(statement, params)]


def _fetch_k(k: int) -> int:
    """How many hits to ask the vector index for when k must survive the scope's filter."""
    return min(MAX_FETCH_K, max(k * OVERFETCH_FACTOR, MIN_FETCH_K))


def _similarity(cosines: np.ndarray) -> list[float]:
    """Cosines on the scale of Neo4j's vector.similarity.cosine, (1 + cosine) / 2: the
    similarities recall/entity_facts takes."""
    return ((1.0 + cosines) / 2.0).tolist()


def _hit(r: Mapping[str, Any]) -> Hit:
    """A Hit from a record or map with id, score and, where read, name, degree, about."""
    return Hit(
        r["id"],
        float(r["score"]),
        r.get("name"),
        int(r.get("degree") or 0),
        None if r.get("about") is None else {eid: int(n) for eid, n in r["about"]},
    )


def _from_micros(micros: int | None) -> datetime | None:
    """A UTC datetime from microseconds since the epoch (how fact_rows sends timestamps)."""
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def _counts(row: Mapping[str, Any]) -> ScopeCounts:
    return ScopeCounts(int(row["facts"]), int(row["entities"]), tuple(sorted(row["versions"])))


def _searched(statement: str, found: VectorSearch) -> str:
    """A statement built from the queryNodes parts (recall/parts/*_index), asking instead
    through SEARCH those indexes that have it, as Cypher 25 (SEARCH's language)."""
    swaps = [("facts", found.facts), ("entities", found.entities)]
    for kind, searched in swaps:
        if searched:
            part = query(f"recall/parts/{kind}_index").rstrip("\n")
            statement = statement.replace(part, query(f"recall/parts/{kind}_search").rstrip("\n"))
    return f"CYPHER 25\n{statement}" if found.facts or found.entities else statement


def nearest_statements(store: GraphStore) -> tuple[str, str]:
    """The statements nearest_facts and nearest_entities send to the vector index on this
    store's server: SEARCH with the scope filtered inside the index where the server and the
    index have it, else queryNodes (the index filters after its top-k)."""
    found = store.vector_search()
    return (
        "recall/fact_search" if found.facts else "recall/fact_index",
        "recall/entity_search" if found.entities else "recall/entity_index",
    )


def _scope_params(scope: Scope | None) -> dict[str, str | None]:
    if scope is None:
        return {"user_id": None, "agent_id": None, "run_id": None}
    return scope.params()
