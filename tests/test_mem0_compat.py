"""mem0's documented usage, run against graphmem with only the import line changed.

Each test follows a page of mem0's documentation (named in its docstring), written afresh
from the page: the Python quickstart (docs/open-source/python-quickstart), graph memory
(docs/open-source/graph_memory/overview), metadata filtering and mem0 2.x's entity ids in
`filters` (docs/migration/oss-v2-to-v3, reranker-search), history, and AsyncMemory
(docs/open-source/features/async-memory). Where the page says `from mem0 import Memory`
these say `from graphmem import Memory`; the config's values point at the test's Neo4j,
scripted LLM server and embedding model. What a mem0 client reads (keys, events, messages)
is asserted as the page shows it. docs/migrating-from-mem0.md lists what differs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphmem import AsyncMemory, Memory  # was: from mem0 import AsyncMemory, Memory
from graphmem.errors import InputError
from tests.fact_llm import Fact, FactsLLM
from tests.scripted_llm import ScriptedLLMServer

ITEM_KEYS = {"id", "memory", "hash", "metadata", "created_at", "updated_at", "user_id"}
TABLE = {
    "planning to watch a movie tonight": Fact(
        "User is planning to watch a movie tonight", [("User", "Person")]
    ),
    "not a big fan of thriller movies": Fact(
        "User is not a big fan of thriller movies",
        [("User", "Person"), ("thriller movies", "Genre")],
        [("User", "DISLIKES", "thriller movies")],
    ),
    "I love sci-fi movies": Fact(
        "User loves sci-fi movies",
        [("User", "Person"), ("sci-fi movies", "Genre")],
        [("User", "LOVES", "sci-fi movies")],
    ),
    "I love India": Fact(
        "User loves India, their favorite country",
        [("User", "Person"), ("India", "Country")],
        [("User", "LOVES", "India")],
    ),
    "I like pizza": Fact(
        "User likes pizza", [("User", "Person"), ("pizza", "Food")], [("User", "LIKES", "pizza")]
    ),
    "My name is Alice": Fact(
        "User's name is Alice",
        [("User", "Person"), ("Alice", "Person")],
        [("User", "NAMED", "Alice")],
    ),
    "I prefer Italian cuisine": Fact(
        "User prefers Italian cuisine",
        [("User", "Person"), ("Italian cuisine", "Food")],
        [("User", "PREFERS", "Italian cuisine")],
    ),
    "allergic to peanuts": Fact(
        "User is allergic to peanuts",
        [("User", "Person"), ("peanuts", "Food")],
        [("User", "ALLERGIC_TO", "peanuts")],
    ),
    "I live in Seattle": Fact(
        "User lives in Seattle",
        [("User", "Person"), ("Seattle", "City")],
        [("User", "LIVES_IN", "Seattle")],
    ),
    "I live in Berlin": Fact(
        "User lives in Berlin",
        [("User", "Person"), ("Berlin", "City")],
        [("User", "LIVES_IN", "Berlin")],
    ),
    "moved to Amsterdam": Fact(
        "User lives in Amsterdam",
        [("User", "Person"), ("Amsterdam", "City")],
        [("User", "LIVES_IN", "Amsterdam")],
    ),
    "travelling to SF": Fact(
        "User is travelling to San Francisco",
        [("User", "Person"), ("San Francisco", "City")],
        [("User", "TRAVELS_TO", "San Francisco")],
    ),
    "travelling to Seattle": Fact(
        "User is travelling to Seattle",
        [("User", "Person"), ("Seattle", "City")],
        [("User", "TRAVELS_TO", "Seattle")],
    ),
}


@pytest.fixture
def config(settings: Any, model_path: Path, scripted_llm: ScriptedLLMServer) -> dict[str, Any]:
    """The graph-memory config of mem0's docs, pointed at the test's servers."""
    scripted_llm.responder = FactsLLM(
        TABLE, contradicts={frozenset({"User lives in Berlin", "User lives in Amsterdam"})}
    )
    return {
        "graph_store": {
            "provider": "neo4j",
            "config": {
                "url": settings.neo4j_uri,
                "username": settings.neo4j_user,
                "password": settings.neo4j_password.get_secret_value(),
            },
        },
        "llm": {
            "provider": "ollama",
            "config": {
                "model": "qwen2.5:7b",
                "temperature": 0.2,
                "max_tokens": 2000,
                "ollama_base_url": scripted_llm.url,
            },
        },
        "embedder": {
            "provider": "huggingface",
            "config": {"model": str(model_path), "embedding_dims": 384},
        },
        "version": "v1.1",
    }


@pytest.fixture
def m(config: dict[str, Any]) -> Iterator[Memory]:
    memory = Memory.from_config(config_dict=config)
    yield memory
    memory.close()


@pytest.fixture
def alice(m: Memory) -> Iterator[str]:
    """A user id of the test's own (the docs say "alice"); erased afterwards."""
    uid = f"alice-{uuid.uuid4().hex[:8]}"
    yield uid
    m.reset(user_id=uid)


def test_python_quickstart(m: Memory, alice: str) -> None:
    """docs/open-source/python-quickstart: store, get_all, get, search, update, history,
    delete, delete_all."""
    messages = [
        {"role": "user", "content": "I'm planning to watch a movie tonight. Any recommendations?"},
        {
            "role": "assistant",
            "content": "How about a thriller movies? They can be quite engaging.",
        },
        {
            "role": "user",
            "content": "I'm not a big fan of thriller movies but I love sci-fi movies.",
        },
        {
            "role": "assistant",
            "content": "Got it! I'll avoid thriller recommendations and suggest sci-fi movies.",
        },
    ]
    result = m.add(messages, user_id=alice, metadata={"category": "movie_recommendations"})
    assert [r["event"] for r in result["results"]] == ["ADD", "ADD", "ADD"]
    assert all({"id", "memory", "event"} <= set(r) for r in result["results"])

    all_memories = m.get_all(user_id=alice)
    assert len(all_memories["results"]) == 3
    for item in all_memories["results"]:
        assert set(item) >= ITEM_KEYS
        assert item["metadata"] == {"category": "movie_recommendations"}
        assert item["user_id"] == alice and item["created_at"].endswith("Z")
    first_id = result["results"][0]["id"]

    specific_memory = m.get(first_id)
    assert specific_memory is not None and set(specific_memory) >= ITEM_KEYS
    assert specific_memory["memory"] == "User is planning to watch a movie tonight"

    related_memories = m.search(query="What do you know about me?", user_id=alice)
    assert {r["id"] for r in related_memories["results"]} == {r["id"] for r in result["results"]}
    assert all(isinstance(r["score"], float) for r in related_memories["results"])
    assert all(
        {"source", "relationship", "destination"} <= set(rel)
        for rel in related_memories["relations"]
    )

    updated = m.update(memory_id=first_id, data="I love India, it is my favorite country.")
    assert updated["message"] == "Memory updated successfully!"

    history = m.history(memory_id=first_id)
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    assert history[1]["old_memory"] == "User is planning to watch a movie tonight"
    assert history[1]["new_memory"] == "I love India, it is my favorite country."
    assert history[1]["memory_id"] == first_id and history[1]["is_deleted"] is False

    assert m.delete(memory_id=first_id)["message"] == "Memory deleted successfully!"
    assert m.get(first_id) is None
    assert m.delete_all(user_id=alice)["message"] == "Memories deleted successfully!"
    assert m.get_all(user_id=alice)["results"] == []


def test_graph_memory_overview(m: Memory, alice: str) -> None:
    """docs/open-source/graph_memory/overview: add with user_id (and agent_id), get_all and
    search with their relations, the multi-agent example, delete_all."""
    m.add("I like pizza", user_id=alice)
    m.add("I like pizza", user_id=alice, agent_id="food-assistant")

    everything = m.get_all(user_id=alice)
    assert {"results", "relations"} <= set(everything)
    assert {(r["source"], r["relationship"], r["target"]) for r in everything["relations"]} == {
        (alice, "LIKES", "pizza")
    }
    of_agent = m.get_all(user_id=alice, agent_id="food-assistant")
    assert [r["agent_id"] for r in of_agent["results"]] == ["food-assistant"]

    found = m.search("tell me my name.", user_id=alice)
    assert found["results"] and all(r["user_id"] == alice for r in found["results"])
    found = m.search("What do I like to eat?", user_id=alice, agent_id="food-assistant")
    assert [r["memory"] for r in found["results"]] == ["User likes pizza"]
    assert (alice, "LIKES", "pizza") in {
        (r["source"], r["relationship"], r["destination"]) for r in found["relations"]
    }

    # Using multiple agents with graph memory.
    bob = f"{alice}-bob"
    try:
        m.add("I prefer Italian cuisine", user_id=bob, agent_id="food-assistant")
        m.add("I'm allergic to peanuts", user_id=bob, agent_id="health-assistant")
        m.add("I live in Seattle", user_id=bob)  # shared across all agents
        food = m.search("What food do I like?", user_id=bob, agent_id="food-assistant")
        health = m.search("What are my allergies?", user_id=bob, agent_id="health-assistant")
        location = m.search("Where do I live?", user_id=bob)  # across all agents
        assert [r["memory"] for r in food["results"]] == ["User prefers Italian cuisine"]
        assert [r["memory"] for r in health["results"]] == ["User is allergic to peanuts"]
        assert location["results"][0]["memory"] == "User lives in Seattle"
        assert len(location["results"]) == 3
    finally:
        m.reset(user_id=bob)

    m.delete_all(user_id=alice, agent_id="food-assistant")
    assert [r["agent_id"] for r in m.get_all(user_id=alice)["results"]] == [None]


def test_add_events_keep_a_mem0_clients_copy_right(m: Memory, alice: str) -> None:
    """The add events of mem0 1.x (ADD / UPDATE / DELETE / NONE), applied by id as a mem0
    client applies them, leave its copy equal to what get_all lists: a contradicted memory
    is reported DELETE on its own id, and the new one ADD."""
    copy: dict[str, str] = {}
    for said in ("I live in Berlin", "I like pizza", "I like pizza", "I moved to Amsterdam"):
        for event in m.add(said, user_id=alice)["results"]:
            if event["event"] in ("ADD", "UPDATE"):
                copy[event["id"]] = event["memory"]
            elif event["event"] == "DELETE":
                copy.pop(event["id"])
            else:
                assert event["event"] == "NONE" and event["id"] in copy
    listed = {r["id"]: r["memory"] for r in m.get_all(user_id=alice)["results"]}
    assert copy == listed
    assert sorted(listed.values()) == ["User likes pizza", "User lives in Amsterdam"]


def test_search_and_get_all_with_filters_1x_and_2x(m: Memory, alice: str) -> None:
    """Metadata filters, 1.x call shapes (user_id=..., limit=...) and 2.x ones (entity ids
    inside filters, top_k, threshold, rerank), as mem0's filtering and reranker pages write
    them."""
    m.add(
        "Finish the quarterly report",
        user_id=alice,
        metadata={"category": "work", "priority": 8},
        infer=False,
    )
    m.add(
        "Book the dentist",
        user_id=alice,
        metadata={"category": "personal", "priority": 3},
        infer=False,
    )
    m.add(
        "Review the hiring plan",
        user_id=alice,
        metadata={"category": "work", "priority": 5},
        infer=False,
    )

    v1 = m.search("work tasks", user_id=alice, filters={"category": "work"}, limit=5)
    assert {r["memory"] for r in v1["results"]} == {
        "Finish the quarterly report",
        "Review the hiring plan",
    }
    assert len(m.search("work tasks", user_id=alice, limit=1)["results"]) == 1

    v2 = m.search(
        "important work tasks",
        filters={"AND": [{"user_id": alice}, {"category": "work"}, {"priority": {"gte": 7}}]},
        rerank=True,
        top_k=20,
    )
    assert [r["memory"] for r in v2["results"]] == ["Finish the quarterly report"]
    assert m.search("dentist", filters={"user_id": alice}, top_k=1)["results"][0]["memory"] == (
        "Book the dentist"
    )
    assert m.search("dentist", filters={"user_id": alice}, threshold=1.0)["results"] == []

    listed = m.get_all(filters={"user_id": alice}, top_k=2)
    assert len(listed["results"]) == 2
    assert len(m.get_all(user_id=alice, limit=100)["results"]) == 3
    with pytest.raises(InputError, match="inside filters"):
        m.search("anything", filters={"category": "work"})


def test_reset_is_scoped_and_the_global_reset_is_explicit(m: Memory, alice: str) -> None:
    """mem0's reset() wiped the whole store. graphmem's reset() asks which scope (or
    all_scopes=True): the documented call fails loudly instead of erasing every user."""
    m.add("I like pizza", user_id=alice)
    with pytest.raises(InputError, match="all_scopes=True"):
        m.reset()
    assert m.get_all(user_id=alice)["results"]
    assert m.reset(user_id=alice) > 0
    assert m.get_all(user_id=alice)["results"] == []


def test_mem0_arguments_without_a_counterpart_are_refused_clearly(m: Memory, alice: str) -> None:
    """add(memory_type="procedural_memory") and add(prompt=...) exist in mem0 only."""
    with pytest.raises(InputError, match="procedural"):
        m.add("Step 1: open the valve", agent_id=alice, memory_type="procedural_memory")
    with pytest.raises(InputError, match="extraction_instructions"):
        m.add("I like pizza", user_id=alice, prompt="Extract food preferences")
    assert m.get_all(user_id=alice)["results"] == []


def test_async_memory(config: dict[str, Any], alice: str) -> None:
    """docs/open-source/features/async-memory: every call awaited, `from_config` too (an
    async classmethod in mem0), calls scheduled together with asyncio.gather, and the same
    call shapes as Memory (1.x and 2.x)."""

    async def scenario() -> None:
        memory = await AsyncMemory.from_config(config)
        try:
            added = await memory.add(
                messages=[
                    {"role": "user", "content": "I'm travelling to SF"},
                    {"role": "assistant", "content": "That's great to hear!"},
                ],
                user_id=alice,
            )
            memory_id = added["results"][0]["id"]
            found, listed = await asyncio.gather(
                memory.search(query="Where am I travelling?", user_id=alice),
                memory.get_all(user_id=alice),
            )
            assert found["results"][0]["id"] == memory_id
            assert [r["id"] for r in listed["results"]] == [memory_id]
            assert {"source", "relationship", "destination"} <= set(found["relations"][0])
            v1 = await memory.search("Where am I travelling?", user_id=alice, limit=1)
            v2 = await memory.search(
                "Where am I travelling?", filters={"user_id": alice}, top_k=1, threshold=0.1
            )
            assert [r["id"] for r in v1["results"]] == [r["id"] for r in v2["results"]]
            listed_v2 = await memory.get_all(filters={"user_id": alice}, top_k=5)
            assert [r["id"] for r in listed_v2["results"]] == [memory_id]
            assert (await memory.get(memory_id=memory_id))["memory"] == (
                "User is travelling to San Francisco"
            )
            updated = await memory.update(memory_id=memory_id, data="I'm travelling to Seattle")
            assert updated["message"] == "Memory updated successfully!"
            history = await memory.history(memory_id=memory_id)
            assert [h["event"] for h in history] == ["ADD", "UPDATE"]
            await memory.delete(memory_id=memory_id)
            await memory.delete_all(user_id=alice)
            assert (await memory.get_all(user_id=alice))["results"] == []
            with pytest.raises(InputError, match="all_scopes=True"):
                await memory.reset()
        finally:
            await memory.close()

    asyncio.run(scenario())
