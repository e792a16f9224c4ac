"""Embeddings from an OpenAI-compatible `/v1/embeddings` (`pip install 'graphmem[openai]'`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphmem.embed.base import Embedder, register_embedder
from graphmem.embed.remote import RemoteEmbedder
from graphmem.errors import EmbedderError
from graphmem.llm.openai import make_openai_client, openai_failure
from graphmem.llm.retry import Failure, RetryPolicy

if TYPE_CHECKING:
    from graphmem.config import Settings

_PREFIX = "GRAPHMEM_EMBEDDER"


class OpenAIEmbedder(RemoteEmbedder):
    """Vectors from any server speaking OpenAI's embeddings API, L2-normalised."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        dimension: int | None = None,
        batch_size: int = 64,
    ) -> None:
        super().__init__(model, dimension=dimension, batch_size=batch_size, retry=retry)
        self.timeout_s = timeout_s
        self._client = make_openai_client(
            base_url=base_url, api_key=api_key, timeout_s=timeout_s, settings_prefix=_PREFIX
        )
        self.base_url = str(self._client.base_url).rstrip("/")

    @property
    def where(self) -> str:
        return self.base_url

    def _request(self, batch: list[str]) -> list[list[float]]:
        response = self._client.embeddings.create(
            model=self.model, input=batch, encoding_format="float"
        )
        data = getattr(response, "data", None)
        if not isinstance(data, list):
            # Without strict validation the client hands back non-JSON bodies as plain text.
            raise EmbedderError(
                f"{self.base_url} did not answer with embeddings: {str(response)[:200]!r}"
            )
        # The API promises an index per item, not that items come back in order.
        return [item.embedding for item in sorted(data, key=lambda d: d.index)]

    def _classify(self, exc: Exception) -> Failure | None:
        return openai_failure(
            exc,
            base_url=self.base_url,
            model=self.model,
            timeout_s=self.timeout_s,
            settings_prefix=_PREFIX,
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def _from_settings(settings: Settings) -> Embedder:
    key = settings.embedder_api_key.get_secret_value() if settings.embedder_api_key else None
    return OpenAIEmbedder(
        settings.embedder_model,
        base_url=settings.embedder_base_url,
        api_key=key,
        timeout_s=settings.llm_timeout_s,
        retry=RetryPolicy(max_retries=settings.llm_max_retries),
    )


register_embedder("openai", _from_settings)
