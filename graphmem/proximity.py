"""Graph proximity: personalised PageRank over the subgraph a search retrieved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from graphmem.store.recall_rows import Edge


def personalised_pagerank(
    seeds: Mapping[str, float],
    about: Mapping[str, Sequence[str]],
    edges: Sequence[Edge],
    edge_weights: Sequence[float] | None = None,
    *,
    restart: float = 0.5,
    iterations: int = 30,
) -> dict[str, float]:
    """Proximity of each fact to the seed entities, scaled so the best fact has 1.0.

    The graph: fact -- entity (weight 1) for every ABOUT link of the candidate facts
    (`about`: fact id -> entity ids), entity -- entity for every walked relation (its
    weight); undirected. Power iteration of r = restart * s + (1 - restart) * W r, W
    column-normalised by weighted degree, s the seed weights. Sparse (edge lists), so it
    costs O(iterations * edges).
    """
    index: dict[str, int] = {}
    links: list[tuple[int, int, float]] = []

    def node(key: str) -> int:
        return index.setdefault(key, len(index))

    for fid, entity_ids in about.items():
        for eid in entity_ids:
            links.append((node("f:" + fid), node("e:" + eid), 1.0))
    weights = edge_weights if edge_weights is not None else [1.0] * len(edges)
    for edge, weight in zip(edges, weights, strict=True):
        links.append((node("e:" + edge.source_id), node("e:" + edge.target_id), weight))
    for sid in seeds:
        node("e:" + sid)
    links = [link for link in links if link[0] != link[1]]
    if not links:
        return {}
    size = len(index)
    src = np.array([a for a, _, _ in links] + [b for _, b, _ in links], dtype=int)
    dst = np.array([b for _, b, _ in links] + [a for a, _, _ in links], dtype=int)
    weight = np.array([w for _, _, w in links] * 2, dtype=float)
    degree = np.bincount(src, weights=weight, minlength=size)
    share = weight / degree[src]
    start = np.zeros(size)
    for sid, value in seeds.items():
        start[index["e:" + sid]] += max(value, 0.0)
    if start.sum() <= 0:
        return {}
    start /= start.sum()
    rank = start.copy()
    for _ in range(iterations):
        spread = np.zeros(size)
        np.add.at(spread, dst, rank[src] * share)
        rank = restart * start + (1 - restart) * spread
    facts = {key[2:]: float(rank[i]) for key, i in index.items() if key.startswith("f:")}
    best = max(facts.values(), default=0.0)
    return {fid: value / best for fid, value in facts.items()} if best > 0 else {}
