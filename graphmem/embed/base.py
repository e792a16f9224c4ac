"""The embedder interface and its registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from graphmem.config import Settings


class Embedder(ABC):
    """Turns texts into unit-length vectors of a fixed dimension."""

    name: ClassVar[str]

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""

    @property
    @abstractmethod
    def model(self) -> str:
        """The model's name, recorded with what it embedded."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed a batch of texts; one vector per text, in order."""

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release connections; the default has none to release."""


EmbedderFactory = Callable[["Settings"], Embedder]
_registry: dict[str, EmbedderFactory] = {}


def register_embedder(name: str, factory: EmbedderFactory) -> None:
    """Make a provider available as `embedder_provider = name`."""
    _registry[name] = factory


def embedder_names() -> list[str]:
    return sorted(_registry)


def embedder_factory(name: str) -> EmbedderFactory | None:
    return _registry.get(name)
