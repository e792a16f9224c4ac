"""AsyncMemory mirrors Memory: same methods, same results, awaitable."""

from __future__ import annotations

import asyncio
import inspect

from graphmem.async_memory import METHODS, AsyncMemory
from graphmem.memory import Memory


def test_every_public_memory_method_has_an_async_twin() -> None:
    public = {
        name
        for name, member in inspect.getmembers(Memory, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    }
    assert public <= set(METHODS)
    for name in METHODS:
        twin = getattr(AsyncMemory, name)
        assert inspect.iscoroutinefunction(twin)
        assert inspect.signature(twin) == inspect.signature(getattr(Memory, name))


def test_async_calls_give_the_sync_results(memory: Memory, user_id: str) -> None:
    amem = AsyncMemory(memory=memory)

    async def scenario() -> tuple[dict, dict, list[dict]]:
        added = await amem.add_facts(
            ["I keep bees.", "My bees live in two hives."], user_id=user_id
        )
        found, listed = await asyncio.gather(
            amem.search("Do I keep any animals?", user_id=user_id, top_k=2),
            amem.get_all(user_id=user_id),
        )
        one = await amem.get(added["results"][0]["id"], user_id=user_id)
        return found, listed, [one]

    found, listed, (one,) = asyncio.run(scenario())
    assert (
        found["results"]
        == memory.search("Do I keep any animals?", user_id=user_id, top_k=2)["results"]
    )
    assert len(listed["results"]) == 2
    assert one is not None and one["memory"] == "I keep bees."
