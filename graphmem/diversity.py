"""Near-duplicates and diversity among the facts a search picks (recall's last stage).

Each fact row carries `similar`: its cosine to the other rows' facts, from their vectors
(float16 copies where stored: store/vectors.py). Recall skips a fact too similar to one it
kept (a near-duplicate) and picks by maximal marginal relevance: score less `weight` times
the highest cosine to a fact already kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def add_similar(rows: Mapping[str, dict[str, Any]], ids: Sequence[str]) -> None:
    """Set each row's `similar`: {fact id: cosine} to every fact of `ids` (one matmul).

    A fact without a vector (or of another length) is similar to none.
    """
    vectors = [rows[i].get("vector") for i in ids]
    dimension = max((len(v) for v in vectors if v is not None), default=0)
    units = np.zeros((len(ids), dimension), dtype=np.float32)
    for j, vector in enumerate(vectors):
        if vector is not None and len(vector) == dimension:
            units[j] = vector
    norms = np.linalg.norm(units, axis=1, keepdims=True)
    units = np.divide(units, norms, out=np.zeros_like(units), where=norms > 0)
    matrix = (units @ units.T).tolist()
    for i, fid in enumerate(ids):
        rows[fid]["similar"] = dict(zip(ids, matrix[i], strict=True))


def nearest_kept(row: Mapping[str, Any], kept_ids: Sequence[str]) -> float:
    """The highest cosine of a fact (its row) to the facts kept so far (0 if none)."""
    similar = row["similar"]
    return max((similar.get(k, 0.0) for k in kept_ids), default=0.0)


def marginal(score: float, row: Mapping[str, Any], kept_ids: Sequence[str], weight: float) -> float:
    """A fact's maximal-marginal-relevance value: its score less `weight` times its highest
    cosine to a kept fact."""
    if weight <= 0 or not kept_ids:
        return score
    return score - weight * nearest_kept(row, kept_ids)
