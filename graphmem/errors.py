"""graphmem's exceptions: one root, one subclass per thing that can go wrong."""

from __future__ import annotations


class GraphMemError(Exception):
    """Root of every error graphmem raises on purpose."""


class ConfigError(GraphMemError):
    """The configuration is invalid or incomplete; the message says what to set."""


class InputError(GraphMemError, ValueError):
    """Input from the caller (messages, scope, metadata, filters) was rejected."""


class FilterError(InputError):
    """A metadata filter could not be compiled."""


class ImageError(InputError):
    """An image in a message cannot be used: malformed, too large, of a kind the provider
    cannot take, or sent to a model that cannot see images."""


class LLMError(GraphMemError):
    """The LLM could not be reached or did not answer usefully.

    Raised by add(infer=True), it carries the id of the Episode kept for reextract.
    """

    def __init__(self, message: str, *, episode_id: str | None = None) -> None:
        super().__init__(message)
        self.episode_id = episode_id


class ExtractionError(GraphMemError):
    """The LLM's answer could not be turned into an Extraction, even after a repair.

    The episode holding the raw messages is kept, so the add can be re-extracted.
    """

    def __init__(self, message: str, *, episode_id: str | None = None) -> None:
        super().__init__(message)
        self.episode_id = episode_id


class EmbedderError(GraphMemError):
    """The embedder could not be loaded or failed to embed."""


class StoreError(GraphMemError):
    """Neo4j could not be reached or refused a statement."""


class SchemaMismatchError(StoreError):
    """The database's indexes disagree with the configured embedder."""


class NotFoundError(GraphMemError, LookupError):
    """No memory with that id in that scope."""


class Neo4jLauncherError(GraphMemError):
    """The local Neo4j server could not be started, stopped or inspected."""
