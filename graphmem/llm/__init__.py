"""LLM providers behind one interface; `get_llm` builds the configured one."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from graphmem.errors import ConfigError
from graphmem.llm.base import LLM, ChatMessage, Completion, llm_factory, llm_names, register_llm

if TYPE_CHECKING:
    from graphmem.config import Settings

__all__ = ["LLM", "ChatMessage", "Completion", "get_llm", "known_llms", "register_llm"]

# Imported on first use, so that `import graphmem` does not pull in optional SDKs.
_BUILTIN_MODULES = {
    "ollama": "graphmem.llm.ollama",
    "openai": "graphmem.llm.openai",
    "langchain": "graphmem.llm.langchain",
}


def known_llms() -> list[str]:
    """Every provider name `get_llm` accepts: the built-in ones and any registered."""
    return sorted(set(_BUILTIN_MODULES) | set(llm_names()))


def get_llm(settings: Settings) -> LLM:
    """The LLM named by `settings.llm_provider`, configured from `settings`.

    Raises ConfigError for an unknown provider or one that cannot be built from settings.
    """
    name = settings.llm_provider
    if llm_factory(name) is None and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    factory = llm_factory(name)
    if factory is None:
        raise ConfigError(
            f"unknown LLM provider {name!r}; known providers: {', '.join(known_llms())}"
        )
    return factory(settings)
