"""graphmem as an MCP server (the official Python SDK): `graphmem mcp`.

Tools: add_memory, search_memory, entity_history, delete_memory, list_entities.

Scoping: a server is confined to a scope (--user / --agent / --run): every tool call stays in
it, the way an API key confines a REST caller, and a call naming another user is refused.
Only `--unscoped` lets tool calls name any scope (for a trusted, single-user setup).

Over streamable HTTP every request needs an API key (`Authorization: Bearer <key>` or
`X-API-Key`), from the same key file as the REST server and bound to scopes the same way
(graphmem/server/auth.py): a key's scope confines the tool calls made with it. stdio serves
one local agent and has no keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import Field

from graphmem.errors import ConfigError, GraphMemError
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.server.auth import Grant, KeyRing, presented_key
from graphmem.server.public_errors import public_message

try:
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "graphmem's MCP server needs the MCP SDK: pip install 'graphmem[server]'"
    ) from exc

INSTRUCTIONS = (
    "Long-term memory. Call search_memory before answering questions about the user or "
    "earlier conversations; call add_memory with what the user tells you that is worth "
    "remembering; entity_history shows how facts about someone or something changed."
)
UserId = Annotated[str | None, Field(description="Whose memory (user scope).")]
AgentId = Annotated[str | None, Field(description="Agent scope.")]
RunId = Annotated[str | None, Field(description="Run/session scope.")]
UNSCOPED = Grant(name="mcp-unscoped", scope=None)


def build_server(
    memory: Memory,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    unscoped: bool = False,
    keys: KeyRing | None = None,
) -> MCPServer:
    """An MCP server whose tools call `memory`.

    Confined to the scope user_id/agent_id/run_id name; with `keys` (streamable HTTP), also
    to the scope of the key each request presents. With neither a scope nor keys, `unscoped`
    must say that tool calls may name any scope (ConfigError otherwise).
    """
    bound = server_grant(user_id, agent_id, run_id, unscoped=unscoped, keyed=keys)
    server = MCPServer("graphmem", instructions=INSTRUCTIONS)

    def confine(
        ctx: Context, user_id: str | None, agent_id: str | None, run_id: str | None
    ) -> dict[str, str | None]:
        """The scope a tool call may use: within the request's key, within the server's."""
        asked = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        if keys is not None:
            asked = _key_grant(ctx, keys).confine(**asked)
        return bound.confine(**asked)

    @server.tool()
    def add_memory(
        text: Annotated[str, Field(description="What to remember: a message or a fact.")],
        ctx: Context,
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
        infer: Annotated[
            bool, Field(description="Extract facts with the LLM (false: store text as is).")
        ] = True,
    ) -> dict[str, Any]:
        """Remember something for a user: facts, entities and relations are extracted."""
        with _tool_errors():
            return memory.add(text, infer=infer, **confine(ctx, user_id, agent_id, run_id))

    @server.tool()
    def search_memory(
        query: Annotated[str, Field(description="What to recall.")],
        ctx: Context,
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
        top_k: Annotated[int, Field(ge=1, le=50)] = 10,
        as_of: Annotated[
            str | None,
            Field(max_length=64, description="Answer from what was valid then: an ISO 8601 date."),
        ] = None,
    ) -> dict[str, Any]:
        """Recall the memories most relevant to the query, with relations and a context block."""
        with _tool_errors():
            scope = confine(ctx, user_id, agent_id, run_id)
            return memory.search(query, top_k=top_k, as_of=as_of, **scope)

    @server.tool()
    def entity_history(
        name: Annotated[str, Field(description="An entity's name, e.g. Alice; 'me': the user.")],
        ctx: Context,
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
    ) -> dict[str, Any]:
        """How facts and relations about an entity changed over time."""
        with _tool_errors():
            found = memory.entity_history(name, **confine(ctx, user_id, agent_id, run_id))
        if found is None:
            raise ToolError(f"no entity named {name!r} in that scope")
        return found

    @server.tool()
    def delete_memory(
        memory_id: Annotated[str, Field(description="The id of the memory to delete.")],
        ctx: Context,
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
    ) -> dict[str, Any]:
        """Delete one memory (and the relations resting on it)."""
        with _tool_errors():
            return memory.delete(memory_id, **confine(ctx, user_id, agent_id, run_id))

    @server.tool()
    def list_entities(
        ctx: Context,
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """The people, places and things in memory, most mentioned first."""
        with _tool_errors():
            scope = confine(ctx, user_id, agent_id, run_id)
            return memory.entities(limit=limit, **scope)

    return server


class RequireKey:
    """ASGI middleware for the streamable HTTP app: 401 for a request without a known key.

    The tools read the key again from their request and confine themselves to its scope."""

    def __init__(self, app: Any, keys: KeyRing) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            if self.keys.lookup(presented_key(headers)) is None:
                await _unauthorized(send)
                return
        await self.app(scope, receive, send)


def server_grant(
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    *,
    unscoped: bool = False,
    keyed: KeyRing | None = None,
) -> Grant:
    """What every tool call of the server is confined to: the scope the ids name; any scope
    when `unscoped` or when keys (`keyed`) confine each request. ConfigError without any."""
    if user_id or agent_id or run_id:
        return Grant(name="mcp", scope=Scope(user_id=user_id, agent_id=agent_id, run_id=run_id))
    if unscoped or keyed is not None:  # keys bind each request's scope themselves
        return UNSCOPED
    raise ConfigError(
        "the MCP server needs a scope: --user, --agent and/or --run confine every tool call "
        "to it (or --unscoped lets tool calls name any user, for a trusted single-user setup)"
    )


def _key_grant(ctx: Context, keys: KeyRing) -> Grant:
    """The grant of the key the tool call's HTTP request presented."""
    request = ctx.request_context.request
    headers = {k.lower(): v for k, v in request.headers.items()} if request is not None else {}
    found = keys.lookup(presented_key(headers))
    if found is None:  # RequireKey stops these first; a transport without headers lands here
        raise ToolError("a valid API key is required")
    return found


@contextmanager
def _tool_errors() -> Iterator[None]:
    """graphmem errors reach the model as a tool error saying what went wrong (server-side
    faults without internal addresses or ids), not a crash."""
    try:
        yield
    except GraphMemError as exc:
        raise ToolError(public_message(exc)) from exc


async def _unauthorized(send: Any) -> None:
    body = json.dumps({"detail": "a valid API key is required"}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"www-authenticate", b"Bearer"),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
