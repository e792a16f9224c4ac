"""The reranker interface: relevance scores for a query and the texts recall returned."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar


class Reranker(ABC):
    """Scores how well each text answers the query; higher is better.

    Implementations make at most one model call per search (a batch), whatever the number
    of texts."""

    name: ClassVar[str]

    @abstractmethod
    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        """One score per text, in order, each in [0, 1]."""

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release what the reranker holds; the default holds nothing."""
