"""What the embedders that call a server share: batching, retries, checks, normalisation."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np

from graphmem.embed.base import Embedder
from graphmem.errors import EmbedderError
from graphmem.llm.retry import Failure, RetryPolicy, call_with_retries

# Embedded once to learn the dimension when it was not configured.
DIMENSION_PROBE = "dimension probe"


class RemoteEmbedder(Embedder):
    """An embedder whose vectors come from an HTTP server, returned L2-normalised."""

    def __init__(
        self,
        model: str,
        *,
        dimension: int | None = None,
        batch_size: int = 64,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._model = model
        self._dimension = dimension
        self._batch_size = batch_size
        self._retry = retry or RetryPolicy()

    @property
    def model(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        """The vector length; asks the server once (one probe embedding) if not yet known."""
        if self._dimension is None:
            self.embed([DIMENSION_PROBE])
        assert self._dimension is not None  # set by embed()
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(self._embed_batch(list(texts[start : start + self._batch_size])))
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        raw = call_with_retries(
            lambda: self._request(batch),
            policy=self._retry,
            classify=self._classify,
            error=EmbedderError,
        )
        if len(raw) != len(batch):
            raise EmbedderError(f"{self.where} returned {len(raw)} vectors for {len(batch)} texts")
        return self._normalise(raw)

    def _normalise(self, raw: list[list[float]]) -> list[list[float]]:
        matrix = np.asarray(raw, dtype=np.float64)
        if matrix.ndim != 2:
            raise EmbedderError(f"{self.where} returned vectors of different lengths")
        self._check_dimension(matrix.shape[1])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise EmbedderError(f"{self.where} returned an all-zero vector (model {self.model})")
        return (matrix / norms).tolist()

    def _check_dimension(self, found: int) -> None:
        if self._dimension is None:
            self._dimension = found
        elif found != self._dimension:
            raise EmbedderError(
                f"{self.where} returned {found}-dimensional vectors, expected "
                f"{self._dimension} (model {self.model}); the configured dimension or "
                "model is wrong"
            )

    @property
    @abstractmethod
    def where(self) -> str:
        """The server, for error messages."""

    @abstractmethod
    def _request(self, batch: list[str]) -> list[list[float]]:
        """One call to the server: raw vectors for `batch`, in order."""

    @abstractmethod
    def _classify(self, exc: Exception) -> Failure | None:
        """Explain an exception from `_request` (see graphmem.llm.retry)."""
