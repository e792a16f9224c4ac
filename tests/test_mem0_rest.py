"""mem0's open-source REST server routes on graphmem's server: a mem0 REST client's
requests (written from mem0's server/main.py and REST API docs), with graphmem's API keys
and scope binding; typed OpenAPI response models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graphmem.memory import Memory
from graphmem.server.auth import KeyRing
from graphmem.server.rest import create_app
from tests.fact_llm import Fact, FactsLLM
from tests.scripted_llm import ScriptedLLMServer

ALICE_KEY = "sk-mem0-alice-000000001"
BOB_KEY = "sk-mem0-bob-0000000002"
ADMIN_KEY = "sk-mem0-admin-00000003"
TABLE = {
    "I love sci-fi movies": Fact(
        "User loves sci-fi movies",
        [("User", "Person"), ("sci-fi movies", "Genre")],
        [("User", "LOVES", "sci-fi movies")],
    ),
    "I prefer thrillers now": Fact(
        "User prefers thrillers", [("User", "Person"), ("thrillers", "Genre")], []
    ),
}


@pytest.fixture
def ids(user_id: str, memory: Memory) -> Iterator[dict[str, str]]:
    bob = f"{user_id}-bob"
    yield {"alice": user_id, "bob": bob}
    memory.reset(user_id=bob)


@pytest.fixture
def client(rest_memory: Memory, ids: dict[str, str]) -> TestClient:
    keys = KeyRing.from_mapping(
        {
            "keys": {
                ALICE_KEY: {"user_id": ids["alice"]},
                BOB_KEY: {"user_id": ids["bob"]},
                ADMIN_KEY: "*",
            }
        }
    )
    return TestClient(create_app(rest_memory, keys))


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def remember(client: TestClient, key: str, user: str, text: str, **extra: Any) -> str:
    body = {"messages": [{"role": "user", "content": text}], "user_id": user, "infer": False}
    answer = client.post("/memories", json={**body, **extra}, headers=auth(key))
    assert answer.status_code == 200, answer.text
    return answer.json()["results"][0]["id"]


def test_a_mem0_rest_client_session(
    client: TestClient, ids: dict[str, str], scripted_llm: ScriptedLLMServer
) -> None:
    """mem0's routes and bodies, as mem0's server takes them: create, list, get, search (1.x
    limit, 2.x top_k with the user in filters), update with `data`, history, delete."""
    scripted_llm.responder = FactsLLM(TABLE)
    alice, headers = ids["alice"], auth(ALICE_KEY)
    created = client.post(
        "/memories",
        json={
            "messages": [{"role": "user", "content": "I love sci-fi movies"}],
            "user_id": alice,
            "metadata": {"category": "movies"},
        },
        headers=headers,
    )
    assert created.status_code == 200, created.text
    event = created.json()["results"][0]
    assert event["event"] == "ADD" and event["memory"] == "User loves sci-fi movies"
    (added,) = created.json()["relations"]["added_entities"]
    assert (added["source"], added["relationship"], added["destination"]) == (
        alice,
        "LOVES",
        "sci-fi movies",
    )
    memory_id = event["id"]
    remember(client, ALICE_KEY, alice, "Dinner with Sam on Friday")

    listed = client.get("/memories", params={"user_id": alice}, headers=headers).json()
    assert len(listed["results"]) == 2 and listed["relations"][0]["relationship"] == "LOVES"
    one = client.get(f"/memories/{memory_id}", headers=headers).json()
    assert one["hash"] and one["metadata"] == {"category": "movies"} and one["user_id"] == alice

    v1 = client.post(
        "/search", json={"query": "what movies?", "user_id": alice, "limit": 1}, headers=headers
    )
    assert v1.status_code == 200, v1.text
    assert [r["id"] for r in v1.json()["results"]] == [memory_id]
    v2 = client.post(
        "/search",
        json={"query": "what movies?", "filters": {"user_id": alice}, "top_k": 2, "threshold": 0},
        headers=headers,
    ).json()
    assert len(v2["results"]) == 2 and v2["results"][0]["id"] == memory_id
    assert {"source", "relationship", "destination"} <= set(v2["relations"][0])

    updated = client.put(
        f"/memories/{memory_id}", json={"data": "I prefer thrillers now"}, headers=headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["message"] == "Memory updated successfully!"
    history = client.get(f"/memories/{memory_id}/history", headers=headers).json()
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    assert history[1]["new_memory"] == "I prefer thrillers now"

    assert client.delete(f"/memories/{memory_id}", headers=headers).status_code == 200
    assert client.get(f"/memories/{memory_id}", headers=headers).status_code == 404
    gone = client.delete("/memories", params={"user_id": alice}, headers=headers)
    assert gone.status_code == 200 and gone.json()["deleted"] == 1
    assert (
        client.get("/memories", params={"user_id": alice}, headers=headers).json()["results"] == []
    )


def test_mem0_routes_keep_the_keys_scope(client: TestClient, ids: dict[str, str]) -> None:
    """Alice's key reads and resets alice only, whatever the body or filters name."""
    alice, bob = ids["alice"], ids["bob"]
    remember(client, ALICE_KEY, alice, "Alice keeps bees")
    bobs = remember(client, BOB_KEY, bob, "Bob keeps goats")
    headers = auth(ALICE_KEY)
    for request in (
        client.post("/search", json={"query": "goats", "user_id": bob}, headers=headers),
        client.post(
            "/search", json={"query": "goats", "filters": {"user_id": bob}}, headers=headers
        ),
        client.get("/memories", params={"user_id": bob}, headers=headers),
        client.post("/memories", json={"messages": "x", "user_id": bob}, headers=headers),
    ):
        assert request.status_code == 403, request.text
    assert client.get(f"/memories/{bobs}", headers=headers).status_code == 404
    assert client.post("/search", json={"query": "goats"}).status_code == 401
    # Without ids, the key's own scope is searched and reset.
    found = client.post("/search", json={"query": "what animals?"}, headers=headers).json()
    assert [r["memory"] for r in found["results"]] == ["Alice keeps bees"]
    reset = client.post("/reset", headers=headers)
    assert reset.status_code == 200 and reset.json()["message"] == "All memories reset"
    assert client.get("/memories", headers=headers).json()["results"] == []
    assert client.get("/memories", headers=auth(BOB_KEY)).json()["results"]
    assert client.post("/reset", params={"all_scopes": True}, headers=headers).status_code == 403
    assert client.post("/configure", json={}, headers=headers).status_code == 403


def test_an_admin_resets_everything_only_when_it_says_so(
    client: TestClient, ids: dict[str, str]
) -> None:
    alice, bob = ids["alice"], ids["bob"]
    remember(client, ALICE_KEY, alice, "Alice keeps bees")
    remember(client, BOB_KEY, bob, "Bob keeps goats")
    admin = auth(ADMIN_KEY)
    refused = client.post("/reset", headers=admin)
    assert refused.status_code == 422 and "all_scopes" in refused.json()["detail"]
    assert client.get("/memories", params={"user_id": bob}, headers=admin).json()["results"]
    wiped = client.post("/reset", params={"all_scopes": True}, headers=admin)
    assert wiped.status_code == 200 and wiped.json()["removed"] > 0
    for user in (alice, bob):
        listed = client.get("/memories", params={"user_id": user}, headers=admin).json()
        assert listed["results"] == []


def test_bad_mem0_bodies_are_422_naming_the_field(client: TestClient, ids: dict[str, str]) -> None:
    headers = auth(ALICE_KEY)
    both = client.post("/search", json={"query": "q", "limit": 2, "top_k": 3}, headers=headers)
    assert both.status_code == 422 and "limit" in both.json()["detail"]
    unknown = client.post("/search", json={"query": "q", "top_n": 3}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "top_n"
    memory_id = remember(client, ALICE_KEY, ids["alice"], "Alice keeps bees")
    neither = client.put(f"/memories/{memory_id}", json={}, headers=headers)
    assert neither.status_code == 422 and "missing" in neither.json()["detail"]


def test_openapi_types_the_mem0_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method in (
        ("/memories", "post"),
        ("/memories", "get"),
        ("/search", "post"),
        ("/memories/{memory_id}", "put"),
        ("/memories/{memory_id}/history", "get"),
        ("/reset", "post"),
        ("/v1/memories/search", "post"),
    ):
        content = spec["paths"][path][method]["responses"]["200"]["content"]
        assert content["application/json"]["schema"], (path, method)
    search = spec["components"]["schemas"]["SearchResponse"]["properties"]
    assert {"results", "relations", "context"} <= set(search)
    relation = spec["components"]["schemas"]["RelationOut"]["properties"]
    assert {"source", "relationship", "destination"} <= set(relation)
