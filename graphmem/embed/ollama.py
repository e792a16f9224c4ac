"""Embeddings from an Ollama server (`/api/embed`) through the official `ollama` client."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ollama

from graphmem.config import DEFAULT_EMBED_MODEL
from graphmem.embed.base import Embedder, register_embedder
from graphmem.embed.remote import RemoteEmbedder
from graphmem.llm.ollama import ollama_failure, ollama_host
from graphmem.llm.retry import Failure, RetryPolicy

if TYPE_CHECKING:
    from graphmem.config import Settings

# Ollama's name for graphmem's default model, so switching provider keeps the same vectors.
OLLAMA_DEFAULT_MODEL = "all-minilm"


class OllamaEmbedder(RemoteEmbedder):
    """Vectors from Ollama's `/api/embed`, L2-normalised; dimension probed once if not given."""

    name = "ollama"

    def __init__(
        self,
        model: str = OLLAMA_DEFAULT_MODEL,
        *,
        host: str | None = None,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        dimension: int | None = None,
        batch_size: int = 64,
    ) -> None:
        super().__init__(model, dimension=dimension, batch_size=batch_size, retry=retry)
        self.host = ollama_host(host)
        self.timeout_s = timeout_s
        self._client = ollama.Client(host=self.host, timeout=timeout_s)

    @property
    def where(self) -> str:
        return f"Ollama at {self.host}"

    def _request(self, batch: list[str]) -> list[list[float]]:
        response = self._client.embed(model=self.model, input=batch, truncate=True)
        return [list(vector) for vector in response.embeddings]

    def _classify(self, exc: Exception) -> Failure | None:
        return ollama_failure(
            exc,
            host=self.host,
            model=self.model,
            timeout_s=self.timeout_s,
            settings_prefix="GRAPHMEM_EMBEDDER",
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def _from_settings(settings: Settings) -> Embedder:
    model = settings.embedder_model
    if model == DEFAULT_EMBED_MODEL:
        model = OLLAMA_DEFAULT_MODEL
    return OllamaEmbedder(
        model,
        host=settings.embedder_base_url,
        timeout_s=settings.llm_timeout_s,
        retry=RetryPolicy(max_retries=settings.llm_max_retries),
    )


register_embedder("ollama", _from_settings)
