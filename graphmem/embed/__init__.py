"""Embedding providers: local ONNX (default), Ollama, OpenAI-compatible."""

from __future__ import annotations

import importlib

from graphmem.config import Settings
from graphmem.embed.base import Embedder, embedder_factory, embedder_names, register_embedder
from graphmem.errors import ConfigError

_BUILTIN = {
    "local": "graphmem.embed.local",
    "ollama": "graphmem.embed.ollama",
    "openai": "graphmem.embed.openai",
}

__all__ = ["Embedder", "get_embedder", "register_embedder"]


def get_embedder(settings: Settings) -> Embedder:
    """The embedder named by settings.embedder_provider, built from settings."""
    name = settings.embedder_provider
    if name in _BUILTIN:
        importlib.import_module(_BUILTIN[name])
    factory = embedder_factory(name)
    if factory is None:
        known = ", ".join(sorted(set(embedder_names()) | set(_BUILTIN)))
        raise ConfigError(f"unknown embedder provider {name!r}; known: {known}")
    return factory(settings)
