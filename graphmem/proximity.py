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
    number = index.setdefault  # a node's number: number(key, len(index))
    heads: list[int] = []
    tails: list[int] = []
    for fid, entity_ids in about.items():
        if not entity_ids:  # a fact about no entity is no node
            continue
        fact = number("f:" + fid, len(index))
        for eid in entity_ids:
            heads.append(fact)
            tails.append(number("e:" + eid, len(index)))
    for edge in edges:
        heads.append(number("e:" + edge.source_id, len(index)))
        tails.append(number("e:" + edge.target_id, len(index)))
    for sid in seeds:
        number("e:" + sid, len(index))
    weights = [1.0] * (len(heads) - len(edges))
    weights += edge_weights if edge_weights is not None else [1.0] * len(edges)
    if len(weights) != len(heads):
        raise ValueError("edge_weights must give one weight per edge")
    head, tail = np.array(heads, dtype=int), np.array(tails, dtype=int)
    loop = head == tail
    if loop.all():
        return {}
    size = len(index)
    # Undirected: each link both ways (self-loops dropped), all forward directions first.
    head, tail, weight = head[~loop], tail[~loop], np.array(weights, dtype=float)[~loop]
    src, dst = np.concatenate([head, tail]), np.concatenate([tail, head])
    weight = np.concatenate([weight, weight])
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
        # Each node's incoming shares, summed in link order (the same sums on every run).
        spread = np.bincount(dst, weights=rank[src] * share, minlength=size)
        rank = restart * start + (1 - restart) * spread
    facts = {key[2:]: float(rank[i]) for key, i in index.items() if key.startswith("f:")}
    best = max(facts.values(), default=0.0)
    return {fid: value / best for fid, value in facts.items()} if best > 0 else {}
