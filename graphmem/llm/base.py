"""The LLM interface: one method, chat completion with optional JSON-schema output."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from typing_extensions import NotRequired

if TYPE_CHECKING:
    from graphmem.config import Settings


@dataclass(frozen=True)
class ImagePart:
    """An image sent with a message: an http(s) URL or a data URI, as OpenAI's image_url
    part carries it; `detail` is OpenAI's low / high / auto."""

    url: str
    detail: str | None = None

    @property
    def base64_data(self) -> str | None:
        """The base64 payload of a data URI (None for a URL)."""
        if not self.url.startswith("data:"):
            return None
        return self.url.partition(",")[2]


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str
    images: NotRequired[list[ImagePart]]  # for a vision-capable model (graphmem/images.py)


@dataclass(frozen=True)
class Completion:
    """One answer from the model, with the token counts the server reported."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLM(ABC):
    """A chat model. Providers implement `complete`; retries and timeouts live inside it."""

    name: ClassVar[str]
    model: str

    @abstractmethod
    def complete(
        self, messages: Sequence[ChatMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Completion:
        """Answer the conversation; with json_schema, ask the server to constrain output to it.

        Raises LLMError when the server cannot be reached or keeps failing.
        """

    def sees_images(self) -> bool | None:
        """Whether the model takes images: True, False, or None when the provider cannot
        tell before trying (then a refusal of the images is reported as an ImageError)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release connections; the default has none to release."""


LLMFactory = Callable[["Settings"], LLM]
_registry: dict[str, LLMFactory] = {}


def register_llm(name: str, factory: LLMFactory) -> None:
    """Make a provider available as `llm_provider = name`."""
    _registry[name] = factory


def llm_names() -> list[str]:
    return sorted(_registry)


def llm_factory(name: str) -> LLMFactory | None:
    return _registry.get(name)
