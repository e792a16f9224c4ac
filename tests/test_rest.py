"""The REST API through httpx (FastAPI's TestClient) on the real Neo4j; the LLM is the
scripted server at the HTTP boundary."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory
from graphmem.server.auth import KeyRing
from graphmem.server.rest import create_app
from tests.neo4j_session import free_ports
from tests.scripted_llm import ScriptedLLMServer

ALICE_KEY = "sk-test-alice-0000000001"
BOB_KEY = "sk-test-bob-00000000000002"
ADMIN_KEY = "sk-test-admin-000000000003"
EXTRACTION = {
    "facts": [{"id": 0, "text": "Alice works at Acme Corp", "entities": ["Alice", "Acme Corp"]}],
    "entities": [
        {"name": "Alice", "type": "Person"},
        {"name": "Acme Corp", "type": "Organization"},
    ],
    "relations": [{"source": "Alice", "type": "WORKS_AT", "target": "Acme Corp", "fact": 0}],
}
CELLO_EXTRACTION = {
    "facts": [{"id": 0, "text": "Bruno plays the cello", "entities": ["Bruno"]}],
    "entities": [{"name": "Bruno", "type": "Person"}],
    "relations": [],
}


@pytest.fixture
def bob_id(user_id: str, memory: Memory) -> Iterator[str]:
    bob = f"{user_id}-bob"
    yield bob
    memory.reset(user_id=bob)


@pytest.fixture
def client(rest_memory: Memory, user_id: str, bob_id: str) -> TestClient:
    keys = KeyRing.from_mapping(
        {
            "keys": {
                ALICE_KEY: {"user_id": user_id},
                BOB_KEY: {"user_id": bob_id},
                ADMIN_KEY: "*",
            }
        }
    )
    return TestClient(create_app(rest_memory, keys, max_body_bytes=50_000))


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def add_fact(client: TestClient, key: str, text: str) -> str:
    answer = client.post("/v1/memories", json={"messages": text, "infer": False}, headers=auth(key))
    assert answer.status_code == 200, answer.text
    return answer.json()["results"][0]["id"]


def test_health_needs_no_key(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200, answer.text
    assert answer.json()["neo4j"].startswith("5.")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sk-not-a-key-000000000"}, {"X-API-Key": "short"}],
)
def test_unknown_or_missing_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get("/v1/memories", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_add_with_the_llm_then_search(
    client: TestClient, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    scripted_llm.script([json.dumps(EXTRACTION)])
    added = client.post(
        "/v1/memories",
        json={"messages": [{"role": "user", "content": "I'm Alice and I work at Acme Corp."}]},
        headers={"X-API-Key": ALICE_KEY},
    )
    assert added.status_code == 200, added.text
    body = added.json()
    assert [r["memory"] for r in body["results"]] == ["Alice works at Acme Corp"]
    assert body["usage"]["llm_calls"] == 1
    assert len(scripted_llm.chat_requests) == 1

    found = client.post(
        "/v1/memories/search", json={"query": "Where does Alice work?"}, headers=auth(ALICE_KEY)
    )
    assert found.status_code == 200, found.text
    result = found.json()
    assert result["results"][0]["memory"] == "Alice works at Acme Corp"
    assert result["results"][0]["user_id"] == user_id  # the key's scope was filled in
    assert {(r["source"], r["relation"], r["target"]) for r in result["relations"]} == {
        ("Alice", "WORKS_AT", "Acme Corp")
    }

    timeline = client.get("/v1/entities/Alice/history", headers=auth(ALICE_KEY))
    assert timeline.status_code == 200, timeline.text
    assert timeline.json()["relations"][0]["relation"] == "WORKS_AT"
    assert client.get("/v1/entities/Nobody/history", headers=auth(ALICE_KEY)).status_code == 404


def test_get_list_update_history_delete(client: TestClient) -> None:
    memory_id = add_fact(client, ALICE_KEY, "Alice prefers green tea.")
    listed = client.get("/v1/memories", headers=auth(ALICE_KEY)).json()["results"]
    assert [m["id"] for m in listed] == [memory_id]
    assert client.get(f"/v1/memories/{memory_id}", headers=auth(ALICE_KEY)).json()["memory"] == (
        "Alice prefers green tea."
    )

    updated = client.put(
        f"/v1/memories/{memory_id}",
        json={"text": "Alice prefers oolong.", "infer": False},
        headers=auth(ALICE_KEY),
    )
    assert updated.status_code == 200 and updated.json()["previous_memory"] == (
        "Alice prefers green tea."
    )
    events = client.get(f"/v1/memories/{memory_id}/history", headers=auth(ALICE_KEY)).json()
    assert [e["event"] for e in events][-1] == "UPDATE"

    deleted = client.delete(f"/v1/memories/{memory_id}", headers=auth(ALICE_KEY))
    assert deleted.status_code == 200, deleted.text
    assert client.get(f"/v1/memories/{memory_id}", headers=auth(ALICE_KEY)).status_code == 404


def test_a_key_for_alice_never_reaches_bob(client: TestClient, bob_id: str) -> None:
    bobs = add_fact(client, BOB_KEY, "Bob's locker code is 4711.")
    alice = auth(ALICE_KEY)

    # Naming bob's scope is refused outright...
    for answer in (
        client.get("/v1/memories", params={"user_id": bob_id}, headers=alice),
        client.post(
            "/v1/memories/search", json={"query": "locker", "user_id": bob_id}, headers=alice
        ),
        client.post("/v1/memories", json={"messages": "x", "user_id": bob_id}, headers=alice),
        client.get(f"/v1/memories/{bobs}", params={"user_id": bob_id}, headers=alice),
    ):
        assert answer.status_code == 403, answer.text
    # ...and bob's ids do not exist for alice.
    assert client.get(f"/v1/memories/{bobs}", headers=alice).status_code == 404
    assert (
        client.put(f"/v1/memories/{bobs}", json={"text": "0000"}, headers=alice).status_code == 404
    )
    assert client.delete(f"/v1/memories/{bobs}", headers=alice).status_code == 404
    assert client.get(f"/v1/memories/{bobs}/history", headers=alice).status_code == 404
    searched = client.post("/v1/memories/search", json={"query": "locker code"}, headers=alice)
    assert searched.json()["results"] == []

    # Bob still has it; the operator key sees it by id.
    assert client.get(f"/v1/memories/{bobs}", headers=auth(BOB_KEY)).json()["memory"] == (
        "Bob's locker code is 4711."
    )
    assert client.get(f"/v1/memories/{bobs}", headers=auth(ADMIN_KEY)).status_code == 200


def test_request_limits(client: TestClient) -> None:
    big = {"messages": "x" * 60_000, "infer": False}
    assert client.post("/v1/memories", json=big, headers=auth(ALICE_KEY)).status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 10_000

    streamed = client.post(
        "/v1/memories",
        content=chunks(),
        headers={**auth(ALICE_KEY), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {"query": ""},
        {"query": "x", "top_k": 0},
        {"query": "x", "surprise": 1},
        {"query": "\ud800"},
        {"query": "x", "filters": {"no such op": {"$bad": 1}}},
    ],
)
def test_bad_search_input_is_422(client: TestClient, body: dict[str, Any]) -> None:
    payload = json.dumps(body)  # keeps a lone surrogate as the \\ud800 escape
    answer = client.post(
        "/v1/memories/search",
        content=payload,
        headers={**auth(ALICE_KEY), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text


def test_openapi_documents_routes_and_keys(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/memories", "/v1/memories/search", "/v1/memories/{memory_id}"} <= set(spec["paths"])
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    assert client.get("/docs").status_code == 200


def test_keys_from_file_and_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "keys.toml"
    toml.write_text('[keys]\n"sk-file-key-0000000000" = { user_id = "carol" }\n')
    ring = KeyRing.configured(toml)
    grant = ring.lookup("sk-file-key-0000000000")
    assert grant is not None and grant.confine()["user_id"] == "carol"
    monkeypatch.setenv("GRAPHMEM_API_KEYS", json.dumps({"sk-env-key-00000000000": "*"}))
    assert KeyRing.configured().lookup("sk-env-key-00000000000") is not None
    monkeypatch.delenv("GRAPHMEM_API_KEYS")
    with pytest.raises(Exception, match="no API keys configured"):
        KeyRing.configured()


def test_schemathesis_finds_no_server_error(
    client: TestClient, scripted_llm: ScriptedLLMServer
) -> None:
    """Property-based requests from the OpenAPI spec (schemathesis): no answer is a 5xx.

    The scripted LLM answers every extraction, so adds with infer=true take the full path.
    20 examples per operation by default (~25 s); GRAPHMEM_SCHEMATHESIS_EXAMPLES for more.
    """
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    scripted_llm.responder = lambda request: json.dumps(EXTRACTION)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("GRAPHMEM_SCHEMATHESIS_EXAMPLES", "20")),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            answer = case.call(headers=auth(ALICE_KEY))
            if answer.status_code >= 500:
                errors.append(
                    f"{case.operation.label} -> {answer.status_code}: {answer.text[:200]}"
                )

        check()
    assert errors == []


def test_list_with_a_metadata_filter(client: TestClient) -> None:
    for room in ("proj-42", "proj-7"):
        answer = client.post(
            "/v1/memories",
            json={
                "messages": f"Standup notes for {room}.",
                "infer": False,
                "metadata": {"room": room},
            },
            headers=auth(ALICE_KEY),
        )
        assert answer.status_code == 200, answer.text
    listed = client.get(
        "/v1/memories", params={"filters": '{"room": "proj-42"}'}, headers=auth(ALICE_KEY)
    )
    assert [m["memory"] for m in listed.json()["results"]] == ["Standup notes for proj-42."]
    bad = client.get("/v1/memories", params={"filters": "[1, 2]"}, headers=auth(ALICE_KEY))
    assert bad.status_code == 422


def test_lone_surrogates_are_refused_before_any_write(client: TestClient) -> None:
    body = '{"messages": "hello", "infer": false, "metadata": {"room": ["ok", "\\ud800"]}}'
    answer = client.post(
        "/v1/memories",
        content=body,
        headers={**auth(ALICE_KEY), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert client.get("/v1/memories", headers=auth(ALICE_KEY)).json()["results"] == []
    listed = client.get(
        "/v1/memories", params={"filters": '{"room": "\\ud800"}'}, headers=auth(ALICE_KEY)
    )
    assert listed.status_code == 422


def test_one_key_cannot_hold_every_worker(
    rest_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, bob_id: str
) -> None:
    """F6: a key at its limit of requests in flight gets 429 + Retry-After at once, while
    another key is served; the limit frees up as the key's requests finish."""
    keys = KeyRing.from_mapping({ALICE_KEY: {"user_id": user_id}, BOB_KEY: {"user_id": bob_id}})
    app = create_app(rest_memory, keys, max_concurrent_per_key=2)
    gate, entered = threading.Event(), threading.Semaphore(0)
    # Two unrelated facts, so the two held adds do not race to store the same one.
    answers = iter([EXTRACTION, CELLO_EXTRACTION])

    def held_extraction(request: Any) -> str:
        entered.release()
        gate.wait(60)  # a hang guard: the test opens the gate long before
        return json.dumps(next(answers))

    scripted_llm.responder = held_extraction
    turn = {"messages": "I'm Alice and I work at Acme Corp."}
    search = {"query": "Where does Alice work?"}
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        try:
            held = [
                pool.submit(client.post, "/v1/memories", json=turn, headers=auth(ALICE_KEY))
                for _ in range(2)
            ]
            assert all(entered.acquire(timeout=60) for _ in held)  # both wait on the LLM
            third = client.post("/v1/memories/search", json=search, headers=auth(ALICE_KEY))
            bobs = client.post("/v1/memories/search", json=search, headers=auth(BOB_KEY))
        finally:
            gate.set()
        assert third.status_code == 429, third.text
        assert third.headers["retry-after"] == "1"
        assert "in flight" in third.json()["detail"]
        assert bobs.status_code == 200, bobs.text
        assert all(f.result(timeout=60).status_code == 200 for f in held)
        again = client.post("/v1/memories/search", json=search, headers=auth(ALICE_KEY))
        assert again.status_code == 200, again.text


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 has it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} in a response body")

    return json.loads(text, parse_constant=refuse)


def nested_filter(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"room": "x"}
    for _ in range(depth):
        node = {"AND": [node]}
    return node


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/memories/search", '{"query": "x", "top_k": NaN}'),
        ("/v1/memories/search", '{"query": "x", "top_k": 1e400}'),
        ("/v1/memories/search", '{"query": "x", "top_k": -Infinity}'),
        ("/v1/memories/search", '{"query": "x", "filters": {"n": {"gt": NaN}}}'),
        ("/v1/memories/search", json.dumps({"query": "x", "filters": nested_filter(250)})),
        ("/v1/memories/search", '{"query": "x", "as_of": "9999-12-31T23:59:59-14:00"}'),
        ("/v1/memories/search", '{"query": "x", "user_id": 0}'),
        ("/v1/memories", '{"messages": "x", "infer": false, "metadata": {"n": NaN}}'),
        ("/v1/memories", '{"messages": "x", "infer": false, "metadata": {"n": 1e400}}'),
        ("/v1/memories", '{"messages": "x", "timestamp": "9999-12-31T23:59:59-14:00"}'),
        # Neo4j holds UTC offsets within 18 hours; Python up to 24 (schemathesis found it).
        ("/v1/memories", '{"messages": "x", "timestamp": "4157-11-08T17:50:46-23:19"}'),
        (
            "/v1/memories",
            '{"messages": [{"role": "user", "content": "x",'
            ' "timestamp": "2024-01-01T00:00:00+18:30"}], "infer": false}',
        ),
        ("/v1/memories/search", '{"query": "x", "as_of": "2024-01-01T00:00:00-20:00"}'),
    ],
)
def test_hostile_numbers_nesting_and_dates_are_a_valid_json_422(
    client: TestClient, path: str, body: str
) -> None:
    """F7-F9: each was a 500 (a RecursionError, a 422 body holding NaN that failed to
    render, a year-10000 overflow) or, for metadata, stored."""
    answer = client.post(
        path, content=body, headers={**auth(ALICE_KEY), "Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    detail = strict_json(answer.text)["detail"]
    assert "scope" not in str(detail) or "user_id" in body  # refused for the hostile value
    assert len(answer.text) < 5_000
    assert client.get("/v1/memories", headers=auth(ALICE_KEY)).json()["results"] == []


def test_server_faults_reach_clients_without_internal_addresses(
    settings: Settings, embedder: LocalEmbedder, user_id: str
) -> None:
    """F10: the LLM's URL and the store's internals stay in the server's log."""
    (closed_port,) = free_ports(1)
    llm_url = f"http://127.0.0.1:{closed_port}"
    unreachable = settings.model_copy(update={"llm_base_url": llm_url, "llm_max_retries": 0})
    keys = KeyRing.from_mapping({ALICE_KEY: {"user_id": user_id}})
    with Memory(unreachable, embedder=embedder) as memory:
        client = TestClient(create_app(memory, keys))
        added = client.post(
            "/v1/memories", json={"messages": "I live in Oslo."}, headers=auth(ALICE_KEY)
        )
        memory.store.close()  # every read now fails in the driver
        searched = client.post(
            "/v1/memories/search", json={"query": "Oslo"}, headers=auth(ALICE_KEY)
        )
    assert added.status_code == 502, added.text
    assert str(closed_port) not in added.text and "http" not in added.text
    assert added.json()["detail"].startswith("the LLM could not be used")
    assert added.json()["episode_id"]  # kept for reextract
    assert searched.status_code == 503, searched.text
    assert searched.json()["detail"] == (
        "the memory store (Neo4j) is unavailable or failed; try again later"
    )
