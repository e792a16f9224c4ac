"""What API clients (REST, MCP) are told when a call fails: what went wrong, never where.

Errors about the caller's request (bad input, an unknown id, a scope the key does not grant,
an LLM answer that could not be used) are the caller's to act on: their message is shown.
Faults on the server's side (Neo4j, the LLM server, the embedder, the configuration) carry
internal URLs, hosts and database ids in their messages: the caller gets a fixed sentence,
the server's log gets the full message.
"""

from __future__ import annotations

import logging

from graphmem.errors import (
    ConfigError,
    EmbedderError,
    GraphMemError,
    LLMError,
    StoreError,
)
from graphmem.urls import masked_urls_in

log = logging.getLogger("graphmem.server")

SERVER_FAULTS: tuple[tuple[type[GraphMemError], str], ...] = (
    (StoreError, "the memory store (Neo4j) is unavailable or failed; try again later"),
    (LLMError, "the LLM could not be used; try again later"),
    (EmbedderError, "the embedder failed; try again later"),
    (ConfigError, "the memory server is misconfigured; its operator has the details"),
)


def public_message(exc: GraphMemError) -> str:
    """The message an API client may see for ``exc`` (server-side faults are logged)."""
    for kind, sentence in SERVER_FAULTS:
        if isinstance(exc, kind):
            log.error("%s: %s", type(exc).__name__, exc)
            episode = getattr(exc, "episode_id", None)
            return f"{sentence} (episode {episode} kept for reextract)" if episode else sentence
    return masked_urls_in(str(exc))
