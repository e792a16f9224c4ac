"""Recall: query -> candidates -> relational paths -> walk -> scoring -> MMR -> ranked facts.

No LLM call. The query is embedded once; every read of one search shares a read
transaction (one snapshot). The stages, in order:

1. Candidates: the scope's nearest facts, exact under the scope, the read window and the
   caller's filters (lexical mode: fulltext hits instead), read in one statement with the
   scope's size, the entities the query names and the entities nearest it
   (RecallReads.candidates).
2. Anchors: the entities the query names (exact look-ups of the normalised names its word
   runs could be: words.name_keys; a name inside a longer matched name is dropped), and
   the scope's self entity when the query says I / me / my or names the user.
3. Relational paths (graphmem/paths.py): the query's cue words (words.cues: content words
   that name no anchor, with the order English gives them along a path) are matched to
   the relation types of the database and to entity labels by stem and meaning
   (relations.CueMatcher; a type is described by its name and by the words the scope's
   own facts use for it, RelationWords), and a beam search walks up to 3 hops out of the
   anchors, each step matching an unused cue. The facts carrying a path's relations are
   candidates with path = exp(-(best path score - this path's) / path_spread): the
   evidence for "Alice's sister's city" is returned together, ahead of Alice's own facts.
4. Walk and proximity: the anchors (hubs aside), the entities at >= the threshold to the
   query and the entities paths reached seed a 1-2 hop walk (relations the query asks
   for first, degree-capped, never through an entity of more than through_max
   relationships; an entity only a path reached, one hop: the path already says how it
   bears on the query); the facts of the reached entities join the candidates
   (within expansion budgets) and proximity is personalised PageRank over that subgraph.
   A small scope's graph came whole with the candidates: its walk and hops (and, for a
   scope within the candidate pool, its facts' rows) are answered from it in the client
   (store/scope_graph.py), the same rows as the statements'.
5. Scoring:

       score = w_vector * cosine + w_graph * proximity + w_path * path (+ w_lexical * lexical)

   with cosine leading (w_vector 1.0) and proximity a small bonus (w_graph 0.08: chosen on
   the LoCoMo-R dev split, bench/locomo_recall.py, where a larger graph weight cost
   multi-hop recall), while a matched path decides (w_path 1.0, bench/relational.py):
   questions that ask for no relation keep their vector head.
6. Selection: the top k by maximal marginal relevance (score - diversity * the highest
   cosine to a fact already picked, diversity 0.2); near-duplicates (same content hash or
   cosine of float16 copies >= duplicate_cosine; store/vectors.py) collapse into the best.

Vector scores are raw cosine of the stored vectors (also for index hits, whose own score
is quantised).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from graphmem import context
from graphmem.diversity import NearestKept
from graphmem.embed import Embedder
from graphmem.filters import Predicate, compile_filters
from graphmem.models import SELF_KEY, Scope, entity_key
from graphmem.paths import NOTHING_ASKED, Asked, Path, PathSettings, ask, describe, find_paths
from graphmem.proximity import personalised_pagerank
from graphmem.relations import CueMatcher
from graphmem.shapes import aware, memory_item, relation
from graphmem.store.neo4j import Vector
from graphmem.store.recall_reads import Candidates, RecallReads
from graphmem.store.recall_rows import Hit, Link, Window
from graphmem.words import cues as query_cues
from graphmem.words import name_keys, says_first_person

Mode = Literal["blended", "vector", "lexical"]


@dataclass(frozen=True)
class Tuning:
    """Knobs of the blend; defaults chosen on the LoCoMo-R dev split."""

    # Tuned on the LoCoMo-R dev split (only the dev split): w_graph and diversity swept
    # together; see bench/results/locomo_recall.md. A larger graph or any lexical weight
    # reorders the vector head and cost multi-hop (all-evidence) recall there.
    vector_weight: float = 1.0
    graph_weight: float = 0.08
    lexical_weight: float = 0.0
    # Relational paths (graphmem/paths.py): the facts on a path of relations the query
    # asks for score path_weight * exp(-(best path's score - the path's) / path_spread), so
    # the evidence for "Alice's sister's city" outranks Alice's own facts, and a path that
    # explains a word less (or keeps the word order worse) than the best gets little.
    path_weight: float = 1.0
    path_spread: float = 0.2
    paths: PathSettings = field(default_factory=PathSettings)
    # Fulltext hits as extra blended candidates (lexical mode always uses them). Off: on
    # LoCoMo-R dev they changed no figure (0.555 / 0.203 either way) and the fulltext query
    # spans every scope's facts, so it was the costliest read at 100k facts.
    lexical_candidates: bool = False
    pool_factor: int = 3  # candidates fetched per channel: pool_factor * top_k (>= min_pool)
    min_pool: int = 30
    # The entities of this many top fact hits seed the walk when the query names no
    # entity. Off by default: on LoCoMo-R it pulled in more of the top hits' own topic and
    # cost multi-hop recall (see bench/results/locomo_recall.md).
    seed_facts: int = 0
    fact_seed_share: float = 0.0  # restart mass on top-fact entities when the query names some
    hub_share: float = 0.2  # an entity over this share of the scope's facts is a hub...
    hub_min_facts: int = 20  # ...if it also has more facts than this
    relation_boost: float = 2.0  # extra PageRank weight of a relation the query asks for
    entity_k: int = 10
    degree_cap: int = 10
    # An entity with more relationships than this (ABOUT links from its facts included) is
    # walked to, not through: ranking a hub's neighbours reads all of its relations, which
    # made the walk the costliest read of a big tenant's search (bench/profile_search.py).
    through_max: int = 200
    per_entity: int = 10
    max_entities: int = 40  # seeds first, then the nearest walked entities
    # Whose facts are enumerated: an entity about more facts than expand_max_facts is walked
    # through but its facts are left to the vector channel, and the reached entities' facts
    # are enumerated up to expand_budget in all (specific entities first). Without these a
    # large memory's popular entities made one search scan tens of thousands of facts.
    expand_max_facts: int = 200
    expand_budget: int = 1000
    restart: float = 0.5  # PageRank restart probability
    iterations: int = 30
    duplicate_cosine: float = 0.95
    diversity: float = 0.2  # maximal-marginal-relevance weight when picking the top k


@dataclass
class Request:
    query: str
    scope: Scope
    filters: Mapping[str, Any] | None = None
    top_k: int = 10
    as_of: datetime | None = None
    include_superseded: bool = False
    context_tokens: int = context.DEFAULT_BUDGET
    mode: Mode = "blended"
    threshold: float | None = None  # results scoring below it are dropped (after ranking)


@dataclass
class Candidate:
    id: str
    vector: float = 0.0
    lexical: float = 0.0
    graph: float = 0.0
    path: float = 0.0  # the best path it lies on, relative to the best path (0: none)
    picked: float = 0.0  # the value that placed it in the top k (score less MMR's penalty)
    sources: set[str] = field(default_factory=set)
    score: float = 0.0
    entity_ids: list[str] = field(default_factory=list)
    degrees: dict[str, int] = field(default_factory=dict)  # entity id -> its fact count
    linked: bool = False  # vector score and entity ids known


def window_for(as_of: datetime | None, include_superseded: bool) -> Window:
    """What a read sees: current facts, history too, or the facts valid at as_of.

    Current: active facts whose valid_to has not passed (a valid_from in the future is
    allowed: plans are memories too). include_superseded: active and superseded, any
    validity. as_of: active and superseded facts whose validity interval holds as_of
    (valid time, not transaction time: "what was true then, as we know it now").
    """
    if as_of is not None:
        moment = aware(as_of)
        return Window(("active", "superseded"), moment, moment, include_invalidated=True)
    if include_superseded:
        return Window(("active", "superseded"), None, None, include_invalidated=True)
    return Window(("active",), None, datetime.now(timezone.utc))


class Recaller:
    """Runs the recall pipeline for one Memory."""

    def __init__(
        self,
        reads: RecallReads,
        embedder: Embedder,
        threshold: float,
        tuning: Tuning | None = None,
        matcher: CueMatcher | None = None,
        relation_descriptions: Mapping[str, str] | None = None,
    ) -> None:
        self.reads = reads
        self.embedder = embedder
        self.threshold = threshold
        self.tuning = tuning or Tuning()
        # Word vectors for relation matching, cached across searches: pass one per Memory.
        self.matcher = matcher or CueMatcher(embedder)
        # A domain schema's descriptions of relation types: their words describe them too.
        self.relation_descriptions = dict(relation_descriptions or {})

    def search(self, request: Request) -> dict[str, Any]:
        """mem0-shaped {"results", "relations", "context"} for the request."""
        where = compile_filters(request.filters)
        window = window_for(request.as_of, request.include_superseded)
        # Vector: the driver formats every parameter for its debug log, even when off.
        embedding = Vector(self.embedder.embed_one(request.query))
        # Every read of one search shares a read transaction: one view of the graph, one
        # commit. The query is embedded before it opens.
        return self.reads.snapshot(
            lambda reads: self._bound(reads)._answer(request, embedding, window, where)
        )

    def _bound(self, reads: RecallReads) -> Recaller:
        """This recaller reading through `reads` (one search's read transaction)."""
        return Recaller(
            reads,
            self.embedder,
            self.threshold,
            self.tuning,
            self.matcher,
            self.relation_descriptions,
        )

    def _answer(
        self, request: Request, embedding: list[float], window: Window, where: Predicate
    ) -> dict[str, Any]:
        ranked, rows = self._rank(request, embedding, window, where)
        low, high = self._picked_range(request.mode)
        shown = {c.id: min(max((c.picked - low) / (high - low), 0.0), 1.0) for c in ranked}
        if request.threshold is not None:
            ranked = [c for c in ranked if shown[c.id] >= request.threshold]
        results = [_result(rows[c.id], c, shown[c.id]) for c in ranked]
        relations = [relation(r) for c in ranked for r in rows[c.id]["relations"]]
        return {
            "results": results,
            "relations": relations,
            "context": context.render(results, relations, request.context_tokens),
        }

    # -- ranking --------------------------------------------------------------

    def _rank(
        self, request: Request, embedding: list[float], window: Window, where: Predicate
    ) -> tuple[list[Candidate], dict[str, dict[str, Any]]]:
        scope, tune = request.scope, self.tuning
        pool = max(request.top_k * tune.pool_factor, tune.min_pool)
        blended = request.mode == "blended"
        found = self.reads.candidates(
            scope,
            embedding,
            k=pool if request.mode != "lexical" else 0,
            names=self._anchor_keys(request) if blended else [],
            entity_k=tune.entity_k if blended else 0,
            min_score=self.threshold,
            window=window,
            where=where,
            with_graph=blended,
        )
        if found.counts.facts == 0:
            return [], {}
        # A small scope's graph came whole with the candidates: the walk reads it here.
        ranker = self._bound(self.reads.over(found.graph)) if found.graph else self
        return ranker._rank_found(request, embedding, window, where, found)

    def _rank_found(
        self,
        request: Request,
        embedding: list[float],
        window: Window,
        where: Predicate,
        found: Candidates,
    ) -> tuple[list[Candidate], dict[str, dict[str, Any]]]:
        """Stages 2-6 from the candidates, through this recaller's reads."""
        scope, tune = request.scope, self.tuning
        pool = max(request.top_k * tune.pool_factor, tune.min_pool)
        cands: dict[str, Candidate] = {}
        _merge(cands, found.facts, "vector")
        if request.mode == "lexical" or (request.mode == "blended" and tune.lexical_candidates):
            lexical = self.reads.lexical_facts(
                scope, request.query, pool, window=window, where=where
            )
            _merge(cands, _scaled(lexical), "lexical")
        self._link(scope, cands, embedding)
        if request.mode == "blended":
            self._expand(request, embedding, window, where, cands, found)
        for cand in cands.values():
            cand.score = self._blend(cand, request.mode)
        ordered = sorted((c for c in cands.values() if c.linked), key=_rank_key)
        diversity = self._diversity(request.mode)
        return self._collapse(request.scope, ordered, embedding, request.top_k, diversity)

    def _link(self, scope: Scope, cands: dict[str, Candidate], embedding: list[float]) -> None:
        """Fill in vector score and entity ids of the candidates that lack them."""
        missing = [c.id for c in cands.values() if not c.linked]
        for fid, score, degrees in self.reads.fact_links(scope, missing, embedding):
            cands[fid].vector, cands[fid].entity_ids = max(score, 0.0), list(degrees)
            cands[fid].degrees, cands[fid].linked = degrees, True

    def _expand(
        self,
        request: Request,
        embedding: list[float],
        window: Window,
        where: Predicate,
        cands: dict[str, Candidate],
        found: Candidates,
    ) -> None:
        """Anchors -> relational paths -> walk -> facts of the reached entities -> PageRank."""
        scope, tune, counts = request.scope, self.tuning, found.counts
        degrees: dict[str, int] = {}  # entity id -> how many facts are about it
        anchors = self._anchors(found.named, degrees)
        cues = query_cues(request.query, [a.name or "" for a in anchors])
        asked = NOTHING_ASKED
        if anchors and cues:
            described = self.matcher.described(
                counts.version,
                lambda: describe(self.reads.vocabulary(scope), self.relation_descriptions),
            )
            asked = ask(self.matcher, cues, described, tune.paths)
        paths = self._paths(request, embedding, window, where, anchors, asked, cands)
        weights = asked.types
        seeds = self._seeds(cands, counts.facts, found.near, degrees, anchors)
        # Entities only a path reached are walked one hop: the path already says how they
        # bear on the query, and their second hops were most of a 3-hop question's walk
        # (~1,000 of ~1,150 relations read, bench/README.md section 7).
        on_paths = _path_nodes(paths, tune.path_spread)
        reached_by_path = [node for node in on_paths if node not in seeds]
        for node, value in on_paths.items():
            seeds[node] = max(seeds.get(node, 0.0), value)
        if not seeds:
            return
        edges = self.reads.walk(
            scope, list(seeds), weights, degree_cap=tune.degree_cap,
            through_max=tune.through_max, window=window, one_hop_ids=reached_by_path,
        )  # fmt: skip
        ordered_seeds = sorted(seeds, key=lambda sid: -seeds[sid])
        walked = sorted(edges, key=lambda e: e.hop)
        degrees.update({e.reached_id: e.reached_degree for e in walked})
        reached = self._to_enumerate([*ordered_seeds, *(e.reached_id for e in walked)], degrees)
        about = self.reads.entity_facts(
            scope, reached, embedding, per_entity=tune.per_entity, window=window, where=where,
            similarities=found.similarities,
        )  # fmt: skip
        for _, fid, score, entity_ids in about:  # entity degrees unknown here: not seeds
            cand = cands.setdefault(fid, Candidate(fid))
            cand.sources.add("graph")
            if not cand.linked:  # a nearest read's similarity is exact, entity_facts' may not be
                cand.vector, cand.entity_ids, cand.linked = max(score, 0.0), entity_ids, True
        asked = tune.paths.threshold
        edge_weights = [1.0 + tune.relation_boost * (weights.get(e.relation, 0.0) >= asked)
                        for e in edges]  # fmt: skip
        about_links = {c.id: c.entity_ids for c in cands.values() if c.linked}
        proximity = personalised_pagerank(
            _normalised(seeds, 1.0), about_links, edges, edge_weights,
            restart=tune.restart, iterations=tune.iterations,
        )  # fmt: skip
        for fid, value in proximity.items():
            cands[fid].graph = value

    def _anchor_keys(self, request: Request) -> list[str]:
        """The names the query could be naming (words.name_keys), and the scope's self when
        the query says I / me / my or names the user."""
        keys = name_keys(request.query)
        user = request.scope.user_id
        if says_first_person(request.query) or (user and entity_key(user) in keys):
            keys = [SELF_KEY, *keys]
        return keys

    @staticmethod
    def _anchors(named: Sequence[Hit], degrees: dict[str, int]) -> list[Hit]:
        """The scope's entities the query names (read by their _anchor_keys). A name inside
        a longer matched name is dropped: "Alice Moreau" anchors the question, not every
        "Alice"."""
        for hit in named:
            degrees[hit.id] = hit.degree
        spans = [f" {entity_key(h.name or '')} " for h in named]
        return [
            hit
            for hit, span in zip(named, spans, strict=True)
            if not any(span != other and span in other for other in spans)
        ]

    def _paths(
        self,
        request: Request,
        embedding: list[float],
        window: Window,
        where: Predicate,
        anchors: Sequence[Hit],
        asked: Asked,
        cands: dict[str, Candidate],
    ) -> list[Path]:
        """Relational paths out of the anchors; their facts join the candidates with their
        path score relative to the best path."""
        scope, settings = request.scope, self.tuning.paths

        def hop(node_ids: list[str], asked: Asked) -> list[Link]:
            return self.reads.hop(
                scope, node_ids, asked.types, list(asked.kinds), embedding,
                per_node=settings.per_node, window=window, where=where,
            )  # fmt: skip

        paths = find_paths(hop, [a.id for a in anchors], asked, self.matcher, settings)
        best = max((p.score for p in paths), default=0.0)
        for path in paths:
            for link in path.links:
                cand = cands.setdefault(link.fact_id, Candidate(link.fact_id))
                cand.sources.add("path")
                cand.path = max(cand.path, path_share(path, best, self.tuning.path_spread))
        self._link(scope, cands, embedding)
        return paths

    def _to_enumerate(self, entity_ids: Sequence[str], degrees: Mapping[str, int]) -> list[str]:
        """The reached entities (seeds first, then by hop) whose facts become candidates,
        within expand_max_facts per entity, expand_budget in all and max_entities."""
        tune = self.tuning
        chosen: list[str] = []
        budget = tune.expand_budget
        for eid in dict.fromkeys(entity_ids):
            degree = degrees.get(eid, 0)
            if degree > min(tune.expand_max_facts, budget):
                continue
            chosen.append(eid)
            budget -= degree
            if len(chosen) == tune.max_entities:
                break
        return chosen

    def _seeds(
        self,
        cands: dict[str, Candidate],
        n_facts: int,
        near: Sequence[Hit],
        degrees: dict[str, int],
        anchors: Sequence[Hit],
    ) -> dict[str, float]:
        """Seed entity id -> restart weight (sums to 1).

        The anchors and the entities at >= the threshold to the query get 1 -
        fact_seed_share of the mass; the entities of the top fact hits share the rest (all
        of it when the query names no entity). Hubs (entities most facts of the scope are
        about, like the user's self) are no seeds: proximity to them says nothing about
        relevance (paths still start from them).
        """
        tune = self.tuning
        hub = max(tune.hub_min_facts, tune.hub_share * n_facts)
        named = {hit.id: 1.0 for hit in anchors if hit.degree <= hub}
        for hit in near:
            degrees[hit.id] = hit.degree
            if hit.degree <= hub:
                named[hit.id] = max(named.get(hit.id, 0.0), hit.score)
        from_facts: dict[str, float] = {}
        top = sorted(
            (c for c in cands.values() if "vector" in c.sources and c.linked),
            key=lambda c: -c.vector,
        )[: tune.seed_facts]
        for cand in top:
            degrees.update(cand.degrees)
            weight = cand.vector / max(len(cand.entity_ids), 1)
            for eid in cand.entity_ids:
                if cand.degrees.get(eid, 0) <= hub:
                    from_facts[eid] = from_facts.get(eid, 0.0) + weight
        share = tune.fact_seed_share if named else 1.0
        seeds = _normalised(named, 1.0 - share)
        for key, value in _normalised(from_facts, share).items():
            seeds[key] = seeds.get(key, 0.0) + value
        return seeds

    def _diversity(self, mode: Mode) -> float:
        return self.tuning.diversity if mode == "blended" else 0.0

    def _picked_range(self, mode: Mode) -> tuple[float, float]:
        """The least and the most a picked value can be: a blend is within [0, the sum of
        its weights] and MMR takes at most `diversity` (a cosine is at most 1) off it. Shown
        scores map this range onto [0, 1], so they keep the order that placed the results
        and a weak last result shows a small score, not 0."""
        tune = self.tuning
        if mode != "blended":
            return 0.0, 1.0
        weights = (tune.vector_weight, tune.graph_weight, tune.lexical_weight, tune.path_weight)
        return -self._diversity(mode), sum(weights)

    def _blend(self, cand: Candidate, mode: Mode) -> float:
        if mode == "vector":
            return cand.vector
        if mode == "lexical":
            return cand.lexical
        tune = self.tuning
        return (
            tune.vector_weight * cand.vector
            + tune.graph_weight * cand.graph
            + tune.lexical_weight * cand.lexical
            + tune.path_weight * cand.path
        )

    def _collapse(
        self,
        scope: Scope,
        ordered: Sequence[Candidate],
        embedding: list[float],
        top_k: int,
        diversity: float = 0.0,
    ) -> tuple[list[Candidate], dict[str, dict[str, Any]]]:
        """Pick top_k best-first, skipping near-duplicates of what is already kept.

        With diversity > 0 the pick is maximal marginal relevance: each step takes the
        candidate maximising score - diversity * (its highest cosine to a kept fact).
        Rows (with vectors) are read for the best 3 * top_k candidates, and for more when
        duplicates thinned those out.
        """
        kept: list[Candidate] = []
        rows: dict[str, dict[str, Any]] = {}
        hashes: set[str] = set()
        step = max(3 * top_k, 30)
        for start in range(0, len(ordered), step):
            chunk = ordered[start : start + step]
            fetched = self.reads.fact_rows(scope, [c.id for c in chunk], embedding)
            rows.update({row["id"]: row for row in fetched})
            pending = [c for c in chunk if c.id in rows]
            compared = [k.id for k in kept] + [row["id"] for row in fetched]
            nearest = NearestKept(rows, compared, kept=len(kept))
            while pending and len(kept) < top_k:
                values = [nearest.marginal(c.id, c.score, diversity) for c in pending]
                pick = max(range(len(pending)), key=values.__getitem__)
                cand = pending.pop(pick)
                row = rows[cand.id]
                if (
                    row.get("content_hash") in hashes
                    or nearest.nearest(cand.id) >= self.tuning.duplicate_cosine
                ):
                    continue
                # The value that picked it, never above the one picked before (MMR values
                # only fall as facts are kept; a later chunk could otherwise edge above).
                cand.picked = min(values[pick], kept[-1].picked) if kept else values[pick]
                kept.append(cand)
                nearest.keep(cand.id)
                hashes.add(row.get("content_hash", ""))
            if len(kept) == top_k:
                break
        return kept, rows


# -- helpers -------------------------------------------------------------------


def _merge(cands: dict[str, Candidate], hits: Sequence[Hit], source: str) -> None:
    for hit in hits:
        cand = cands.setdefault(hit.id, Candidate(hit.id))
        cand.sources.add(source)
        if source == "lexical":
            cand.lexical = max(cand.lexical, hit.score)
        elif hit.about is not None:  # a nearest read: raw cosine and entities known
            cand.vector, cand.entity_ids = max(hit.score, 0.0), list(hit.about)
            cand.degrees, cand.linked = dict(hit.about), True


def _scaled(hits: Sequence[Hit]) -> list[Hit]:
    best = max((h.score for h in hits), default=0.0)
    return [Hit(h.id, h.score / best if best > 0 else 0.0) for h in hits]


def path_share(path: Path, best: float, spread: float) -> float:
    """How much of the path channel a path's facts get: 1 for the best path, falling off
    exponentially with the score it lacks."""
    return math.exp(-(best - path.score) / spread)


def _path_nodes(paths: Sequence[Path], spread: float) -> dict[str, float]:
    """The entities paths reach (anchors excepted) -> their best path's share: walk seeds,
    so facts about Alice's sister rank as if the query had named her."""
    best = max((p.score for p in paths), default=0.0)
    nodes: dict[str, float] = {}
    for path in paths:
        for node in path.nodes[1:]:
            nodes[node] = max(nodes.get(node, 0.0), path_share(path, best, spread))
    return nodes


def _normalised(weights: Mapping[str, float], total: float) -> dict[str, float]:
    mass = sum(max(w, 0.0) for w in weights.values())
    if mass <= 0 or total <= 0:
        return {}
    return {key: total * max(w, 0.0) / mass for key, w in weights.items()}


def _rank_key(cand: Candidate) -> tuple[float, float, str]:  # best first, ties by id
    return (-cand.score, -cand.vector, cand.id)


def _result(row: Mapping[str, Any], cand: Candidate, shown: float) -> dict[str, Any]:
    """A ranked fact: `score` is what ordered the results (the blend less MMR's penalty,
    scaled to [0, 1]); `scores` are its parts, each in [0, 1]."""
    scores = {"vector": cand.vector, "graph": cand.graph, "lexical": cand.lexical}
    scores["path"] = cand.path
    item = memory_item(row, score=shown, scores=scores).model_dump(mode="json")
    item["provenance"] = {
        "episode_ids": row.get("episodes", []),
        "found_by": sorted(cand.sources),
        "model": row.get("model"),
        "prompt_version": row.get("prompt_version"),
    }
    return item
