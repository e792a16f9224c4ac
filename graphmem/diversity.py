"""Near-duplicates and diversity among the facts a search picks (recall's last stage).

Recall skips a fact too similar to one it kept (a near-duplicate) and picks by maximal
marginal relevance: score less `weight` times the highest cosine to a fact already kept.
Cosines come from the facts' row vectors (float16 copies where stored: store/vectors.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class NearestKept:
    """For each fact of `ids`, its highest cosine to the facts kept so far (0 while none is
    kept), updated as facts are kept: one matmul over `ids`, then one column per kept fact,
    instead of re-reading every kept fact's cosine for every candidate at every pick.

    `ids`: the facts kept so far (the first `kept` of them), then the candidates; each has
    a row with its `vector`. A fact without a vector (or of another length) is similar to
    none.
    """

    def __init__(
        self, rows: Mapping[str, Mapping[str, Any]], ids: Sequence[str], kept: int
    ) -> None:
        self._position = {fid: i for i, fid in enumerate(ids)}
        units = _units([rows[fid].get("vector") for fid in ids])
        self._cosines = units @ units.T
        self._nearest = np.zeros(len(ids), dtype=self._cosines.dtype)
        self._any_kept = False
        for fid in ids[:kept]:
            self.keep(fid)

    def keep(self, fact_id: str) -> None:
        """Record that `fact_id` (one of `ids`) is now kept."""
        column = self._cosines[:, self._position[fact_id]]
        self._nearest = np.maximum(self._nearest, column) if self._any_kept else column.copy()
        self._any_kept = True

    def nearest(self, fact_id: str) -> float:
        """The fact's highest cosine to a kept fact (0 if none is kept)."""
        return float(self._nearest[self._position[fact_id]])

    def marginal(self, fact_id: str, score: float, weight: float) -> float:
        """A fact's maximal-marginal-relevance value: its score less `weight` times
        its highest cosine to a kept fact."""
        if weight <= 0 or not self._any_kept:
            return score
        return score - weight * self.nearest(fact_id)


def _units(vectors: Sequence[Any]) -> np.ndarray:
    """The vectors as unit rows (float32); a missing or odd-length vector as zeros."""
    dimension = max((len(v) for v in vectors if v is not None), default=0)
    units = np.zeros((len(vectors), dimension), dtype=np.float32)
    for j, vector in enumerate(vectors):
        if vector is not None and len(vector) == dimension:
            units[j] = vector
    norms = np.linalg.norm(units, axis=1, keepdims=True)
    return np.divide(units, norms, out=np.zeros_like(units), where=norms > 0)
