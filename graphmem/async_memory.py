"""AsyncMemory: Memory's surface for asyncio code.

Honest and simple: each call runs the synchronous Memory method in a worker thread
(asyncio.to_thread), so the event loop never blocks on Neo4j or the embedder. The Neo4j
driver is thread-safe and the embedder serialises its tokenizer, so concurrent calls on
one AsyncMemory are fine; Neo4j and the embedder bound the real parallelism.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from graphmem.config import Settings
from graphmem.memory import Memory

# Every public Memory method AsyncMemory mirrors (tests check none is missing).
METHODS = (
    "add",
    "add_facts",
    "reextract",
    "search",
    "get",
    "get_all",
    "entity_history",
    "update",
    "delete",
    "delete_all",
    "history",
    "reset",
    "forget",
    "erasures",
    "entities",
    "relations",
    "export_graph",
    "backup",
    "restore",
)


def _in_thread(name: str) -> Callable[..., Awaitable[Any]]:
    sync = getattr(Memory, name)

    @functools.wraps(sync)
    async def method(self: AsyncMemory, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.memory, name), *args, **kwargs)

    return method


class AsyncMemory:
    """The Memory API with `await`: same methods, same arguments, same results.

    Build it like Memory (settings, overrides, or parts), or wrap an existing Memory.
    Construction connects and applies the schema synchronously; use `await
    AsyncMemory.create(...)` to do that off the event loop.
    """

    def __init__(
        self, settings: Settings | None = None, *, memory: Memory | None = None, **kwargs: Any
    ) -> None:
        self.memory = memory or Memory(settings, **kwargs)

    @classmethod
    async def create(cls, settings: Settings | None = None, **kwargs: Any) -> AsyncMemory:
        """Build in a worker thread (connecting and schema bootstrap block)."""
        memory = await asyncio.to_thread(Memory, settings, **kwargs)
        return cls(memory=memory)

    @classmethod
    async def from_config(cls, config_dict: Mapping[str, Any]) -> AsyncMemory:
        """An AsyncMemory from mem0's configuration dict, as Memory.from_config; awaited,
        as mem0's is (`memory = await AsyncMemory.from_config(config)`), and built in a
        worker thread like create()."""
        memory = await asyncio.to_thread(Memory.from_config, config_dict)
        return cls(memory=memory)

    async def close(self) -> None:
        await asyncio.to_thread(self.memory.close)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    add = _in_thread("add")
    add_facts = _in_thread("add_facts")
    reextract = _in_thread("reextract")
    search = _in_thread("search")
    get = _in_thread("get")
    get_all = _in_thread("get_all")
    entity_history = _in_thread("entity_history")
    update = _in_thread("update")
    delete = _in_thread("delete")
    delete_all = _in_thread("delete_all")
    history = _in_thread("history")
    reset = _in_thread("reset")
    forget = _in_thread("forget")
    erasures = _in_thread("erasures")
    entities = _in_thread("entities")
    relations = _in_thread("relations")
    export_graph = _in_thread("export_graph")
    backup = _in_thread("backup")
    restore = _in_thread("restore")
