"""The MCP server through the SDK's own client over stdio: `graphmem mcp` as a subprocess,
on the real Neo4j; the LLM is the scripted server at the HTTP boundary."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from graphmem.cli import cli
from graphmem.config import Settings
from graphmem.memory import Memory
from graphmem.resources import resource_dir
from tests.neo4j_session import free_ports
from tests.scripted_llm import ScriptedLLMServer

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

httpx2 = pytest.importorskip("httpx2")  # the MCP SDK's own HTTP client

SAMPLE = json.loads((resource_dir("data") / "sample_conversation.json").read_text())
EXTRACTION = {
    "facts": [{"id": 0, "text": "Alice adopted a cat named Miso", "entities": ["Alice", "Miso"]}],
    "entities": [{"name": "Alice", "type": "Person"}, {"name": "Miso", "type": "Animal"}],
    "relations": [{"source": "Alice", "type": "OWNS", "target": "Miso", "fact": 0}],
}
Session = Callable[[Client], Awaitable[Any]]
ALICE_KEY = "sk-test-mcp-alice-00000001"


def server_params(settings: Settings, llm_url: str, tmp_path: Path, *args: str) -> Any:
    env = {
        **os.environ,
        "GRAPHMEM_CONFIG": str(tmp_path / "absent.toml"),
        "GRAPHMEM_NEO4J_URI": settings.neo4j_uri,
        "GRAPHMEM_NEO4J_USER": settings.neo4j_user,
        "GRAPHMEM_NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "GRAPHMEM_EMBEDDER_PATH": str(settings.embedder_path),
        "GRAPHMEM_LLM_BASE_URL": llm_url,
    }
    code = "from graphmem.cli import main; main()"
    return StdioServerParameters(command=sys.executable, args=["-c", code, "mcp", *args], env=env)


def connect(params: Any, session: Session) -> Any:
    """Run `session` with an SDK client for `params` (stdio parameters, or a URL)."""

    async def main() -> Any:
        async with Client(params) as client:
            return await session(client)

    return asyncio.run(main())


def test_tools_connect(
    settings: Settings,
    memory: Memory,
    user_id: str,
    scripted_llm: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    memory.add_facts(SAMPLE["facts"], user_id=user_id)
    scripted_llm.script([json.dumps(EXTRACTION)])
    params = server_params(settings, scripted_llm.url, tmp_path, "--user", user_id)

    async def session(client: Client) -> dict[str, Any]:
        listed = await client.list_tools()
        out: dict[str, Any] = {"tools": {t.name for t in listed.tools}}
        out["search"] = await client.call_tool(
            "search_memory", {"query": "Where does Alice live?", "user_id": user_id, "top_k": 3}
        )
        out["add"] = await client.call_tool(
            "add_memory", {"text": "I adopted a cat, Miso.", "user_id": user_id}
        )
        out["history"] = await client.call_tool(
            "entity_history", {"name": "Alice", "user_id": user_id}
        )
        out["entities"] = await client.call_tool("list_entities", {"user_id": user_id})
        added_id = out["add"].structured_content["results"][0]["id"]
        out["delete"] = await client.call_tool(
            "delete_memory", {"memory_id": added_id, "user_id": user_id}
        )
        out["deleted_id"] = added_id
        out["unknown"] = await client.call_tool(
            "entity_history", {"name": "Nobody", "user_id": user_id}
        )
        return out

    out = connect(params, session)
    assert out["tools"] == {
        "add_memory",
        "search_memory",
        "entity_history",
        "delete_memory",
        "list_entities",
    }
    assert not out["search"].is_error
    assert "Amsterdam" in out["search"].structured_content["results"][0]["memory"]
    assert [r["memory"] for r in out["add"].structured_content["results"]] == [
        "Alice adopted a cat named Miso"
    ]
    # Relations leave every tool in mem0's shape, graphmem's names beside.
    relations = out["history"].structured_content["relations"]
    added = out["add"].structured_content["relations"]["added_entities"]
    for listed in (relations, added):
        assert ("Alice", "OWNS", "Miso") in {
            (r["source"], r["relationship"], r["destination"]) for r in listed
        }
    assert ("Alice", "OWNS", "Miso") in {
        (r["source"], r["relation"], r["target"]) for r in relations
    }
    found = out["search"].structured_content["relations"]
    assert found and all({"source", "relationship", "destination"} <= set(r) for r in found)
    names = {e["name"] for e in out["entities"].structured_content["results"]}
    assert {"Alice", "Carol", "Miso"} <= names
    assert not out["delete"].is_error
    assert memory.get(out["deleted_id"]) is None
    assert out["unknown"].is_error and "no entity named 'Nobody'" in out["unknown"].content[0].text
    assert len(scripted_llm.chat_requests) == 1


def test_a_server_bound_to_a_user_refuses_others(
    settings: Settings,
    memory: Memory,
    user_id: str,
    scripted_llm: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    memory.add_facts(["Alice's PIN is 1234."], user_id=f"{user_id}-other")
    params = server_params(settings, scripted_llm.url, tmp_path, "--user", user_id)

    async def session(client: Client) -> tuple[Any, Any]:
        other = await client.call_tool(
            "search_memory", {"query": "PIN", "user_id": f"{user_id}-other"}
        )
        own = await client.call_tool("search_memory", {"query": "PIN"})
        return other, own

    try:
        other, own = connect(params, session)
    finally:
        memory.reset(user_id=f"{user_id}-other")
    assert other.is_error and "outside the scope" in other.content[0].text
    assert not own.is_error and own.structured_content["results"] == []


def test_streamable_http_needs_a_key_and_keeps_to_its_scope(
    settings: Settings,
    memory: Memory,
    user_id: str,
    scripted_llm: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    """`graphmem mcp --transport streamable-http`, reached with the SDK's client by URL: a
    request without a known key is refused (401), a key confines the tools to its scope."""
    memory.add_facts(SAMPLE["facts"], user_id=user_id)
    memory.add_facts(["Bob's PIN is 1234."], user_id=f"{user_id}-bob")
    [port] = free_ports(1)
    params = server_params(
        settings, scripted_llm.url, tmp_path, "--transport", "streamable-http", "--port", str(port)
    )
    params.env["GRAPHMEM_API_KEYS"] = json.dumps({"keys": {ALICE_KEY: {"user_id": user_id}}})
    log = (tmp_path / "mcp.log").open("wb")
    server = subprocess.Popen(
        [params.command, *params.args], env=params.env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        wait_for_port(port, server)
        no_key = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        wrong_key = httpx.post(url, json={}, headers={"Authorization": "Bearer sk-not-a-key-00000"})

        async def session(client: Client) -> tuple[Any, Any]:
            own = await client.call_tool("search_memory", {"query": "Where does Carol live?"})
            other = await client.call_tool(
                "search_memory", {"query": "PIN", "user_id": f"{user_id}-bob"}
            )
            return own, other

        own, other = connect(with_key(url, ALICE_KEY), session)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        memory.reset(user_id=f"{user_id}-bob")
    assert no_key.status_code == 401 and wrong_key.status_code == 401
    assert no_key.headers["www-authenticate"] == "Bearer"
    assert not own.is_error
    assert own.structured_content["results"][0]["memory"] == "Carol lives in Utrecht."
    assert other.is_error and "outside the scope" in other.content[0].text


def with_key(url: str, key: str) -> Any:
    """The SDK's streamable HTTP transport, sending an API key with every request."""
    client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return streamable_http_client(url, http_client=client)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose Neo4j does not answer: commands that get past their checks fail
    there, so a test sees what they said before."""
    return {
        "GRAPHMEM_CONFIG": str(tmp_path / "absent.toml"),
        "GRAPHMEM_NEO4J_URI": "bolt://127.0.0.1:1",
        "GRAPHMEM_USER_ID": "",
        "GRAPHMEM_API_KEYS": "",
        **extra,
    }


def test_a_server_without_a_scope_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["mcp"], env=cli_env(tmp_path))
    assert result.exit_code == 2  # a usage error, like every other missing scope
    assert "needs a scope" in result.output and "--unscoped" in result.output


def test_unscoped_is_said_out_loud(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["mcp", "--unscoped"], env=cli_env(tmp_path))
    assert "warning: --unscoped" in result.stderr
    assert "needs a scope" not in result.output  # it went on, to open the memory


def test_streamable_http_without_keys_is_refused(tmp_path: Path) -> None:
    args = ["mcp", "--transport", "streamable-http", "--user", "alice"]
    result = CliRunner().invoke(cli, args, env=cli_env(tmp_path))
    assert result.exit_code == 1
    assert "no API keys configured" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["mcp", "--transport", "streamable-http", "--user", "alice"],
        ["serve"],
    ],
)
def test_no_auth_is_refused_off_loopback(tmp_path: Path, command: list[str]) -> None:
    args = [*command, "--insecure-no-auth", "--host", "0.0.0.0"]
    result = CliRunner().invoke(cli, args, env=cli_env(tmp_path))
    assert result.exit_code == 1
    assert "loopback only" in result.output and "Neo4j" not in result.output


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the server accepts connections (it loads the embedder first). A hang guard, not
    a timing assertion: a server that never listens fails the test instead of blocking it."""
    give_up = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < give_up:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the MCP server never listened (exit code {process.poll()})")
