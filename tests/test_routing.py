"""Issue 15, scale-out: graphmem through a routing URI (neo4j://), reads in READ
transactions, writes in WRITE ones, and one bookmark chain so a user reads their own writes.

A single local server answers neo4j:// with a routing table naming itself for every role, so
the driver's routing code runs for real. That READ units really go where a cluster sends
reads is shown from both ends: the store reports the access mode of every unit of work it
starts (GraphStore.on_access), every public read operation starts READ units only, and the
server itself refuses a write inside such a unit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.errors import StoreError
from graphmem.memory import Memory
from graphmem.store.neo4j import Access
from graphmem.urls import same_server


@pytest.fixture(scope="module")
def routed(settings: Settings, embedder: LocalEmbedder) -> Iterator[Memory]:
    uri = settings.neo4j_uri.replace("bolt://", "neo4j://", 1)
    assert uri.startswith("neo4j://")
    with Memory(settings.model_copy(update={"neo4j_uri": uri}), embedder=embedder) as memory:
        yield memory


@pytest.fixture
def accesses(routed: Memory) -> Iterator[list[Access]]:
    seen: list[Access] = []
    routed.store.on_access = seen.append
    yield seen
    routed.store.on_access = None


def _add(memory: Memory, user_id: str) -> dict:
    facts = [
        {
            "text": "Alice's sister Carol lives in Utrecht.",
            "entities": [{"name": "Carol", "type": "Person"}, {"name": "Utrecht"}],
            "relations": [{"source": "Carol", "relation": "LIVES_IN", "target": "Utrecht"}],
        }
    ]
    return memory.add_facts(facts, user_id=user_id)


def test_a_routing_uri_adds_and_the_next_search_sees_the_write(
    routed: Memory, user_id: str
) -> None:
    assert routed.store.driver.__class__.__name__ == "Neo4jDriver"  # the routing driver
    _add(routed, user_id)
    found = routed.search("Where does Carol live?", user_id=user_id, top_k=3)
    assert found["results"][0]["memory"] == "Alice's sister Carol lives in Utrecht."
    # The write's bookmark went to the manager every read session and query shares.
    assert routed.store.driver.execute_query_bookmark_manager.get_bookmarks()


def test_every_public_read_runs_in_read_transactions_only(
    routed: Memory, user_id: str, accesses: list[Access]
) -> None:
    added = _add(routed, user_id)
    assert "WRITE" in accesses  # the seam sees writes too, so READ-only below means something
    memory_id = added["results"][0]["id"]
    reads = {
        "search": lambda: routed.search("Carol", user_id=user_id),
        "get": lambda: routed.get(memory_id, user_id=user_id),
        "get_all": lambda: routed.get_all(user_id=user_id),
        "history": lambda: routed.history(memory_id, user_id=user_id),
        "entity_history": lambda: routed.entity_history("Carol", user_id=user_id),
        "entities": lambda: routed.entities(user_id=user_id),
        "relations": lambda: routed.relations(user_id=user_id),
        "export_graph": lambda: routed.export_graph(user_id=user_id),
        "erasures": lambda: routed.erasures(user_id=user_id),
    }
    for name, read in reads.items():
        accesses.clear()
        read()
        assert accesses and set(accesses) == {"READ"}, (name, accesses)


def test_the_server_refuses_a_write_inside_the_stores_read_units(routed: Memory) -> None:
    """What makes READ meaningful: a unit in READ mode cannot write, so a cluster may run
    it on a secondary."""
    with pytest.raises(StoreError, match=r"(?i)read"):
        routed.store.read("CREATE (:RoutingProbe) RETURN 1 AS one", {})
    with pytest.raises(StoreError, match=r"(?i)read"):
        routed.store.read_snapshot(lambda reader: reader.read("CREATE (:RoutingProbe)", {}))
    left, _, _ = routed.store.driver.execute_query("MATCH (n:RoutingProbe) RETURN count(n) AS n")
    assert left[0]["n"] == 0


def test_bolt_and_routing_uris_of_one_server_are_one_server() -> None:
    assert same_server("bolt://127.0.0.1:27687", "neo4j://127.0.0.1:27687")
    assert same_server("bolt+s://DB.example.com", "neo4j+s://db.example.com:7687")
    assert not same_server("bolt://127.0.0.1:27687", "neo4j://127.0.0.1:7687")
    assert not same_server("bolt+s://db.example.com", "neo4j://db.example.com")
