"""graphmem as an MCP server (the official Python SDK): `graphmem mcp`.

Tools: add_memory, search_memory, entity_history, delete_memory, list_entities. Started with
--user (or --agent), every tool is confined to that scope the way an API key confines a REST
caller: a tool call naming another user is refused. stdio serves one local agent;
streamable HTTP serves many (put it behind authentication if it leaves localhost).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import Field

from graphmem.errors import GraphMemError
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.server.auth import Grant

try:
    from mcp.server.mcpserver import MCPServer
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


def build_server(
    memory: Memory, *, user_id: str | None = None, agent_id: str | None = None
) -> MCPServer:
    """An MCP server whose tools call `memory`, confined to user_id/agent_id when given."""
    bound = Scope(user_id=user_id, agent_id=agent_id) if user_id or agent_id else None
    grant = Grant(name="mcp", scope=bound)
    server = MCPServer("graphmem", instructions=INSTRUCTIONS)

    @server.tool()
    def add_memory(
        text: Annotated[str, Field(description="What to remember: a message or a fact.")],
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
        infer: Annotated[
            bool, Field(description="Extract facts with the LLM (false: store text as is).")
        ] = True,
    ) -> dict[str, Any]:
        """Remember something for a user: facts, entities and relations are extracted."""
        with _tool_errors():
            scope = grant.confine(user_id, agent_id, run_id)
            return memory.add(text, infer=infer, **scope)

    @server.tool()
    def search_memory(
        query: Annotated[str, Field(description="What to recall.")],
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
        top_k: Annotated[int, Field(ge=1, le=50)] = 10,
        as_of: Annotated[
            str | None, Field(description="Answer from what was valid then: an ISO 8601 date.")
        ] = None,
    ) -> dict[str, Any]:
        """Recall the memories most relevant to the query, with relations and a context block."""
        with _tool_errors():
            scope = grant.confine(user_id, agent_id, run_id)
            return memory.search(query, top_k=top_k, as_of=as_of, **scope)

    @server.tool()
    def entity_history(
        name: Annotated[str, Field(description="An entity's name, e.g. Alice; 'me': the user.")],
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
    ) -> dict[str, Any]:
        """How facts and relations about an entity changed over time."""
        with _tool_errors():
            scope = grant.confine(user_id, agent_id, run_id)
            found = memory.entity_history(name, **scope)
        if found is None:
            raise ToolError(f"no entity named {name!r} in that scope")
        return found

    @server.tool()
    def delete_memory(
        memory_id: Annotated[str, Field(description="The id of the memory to delete.")],
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
    ) -> dict[str, Any]:
        """Delete one memory (and the relations resting on it)."""
        with _tool_errors():
            return memory.delete(memory_id, **grant.confine(user_id, agent_id, run_id))

    @server.tool()
    def list_entities(
        user_id: UserId = None,
        agent_id: AgentId = None,
        run_id: RunId = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """The people, places and things in memory, most mentioned first."""
        with _tool_errors():
            scope = grant.confine(user_id, agent_id, run_id)
            return memory.entities(limit=limit, **scope)

    return server


@contextmanager
def _tool_errors() -> Iterator[None]:
    """graphmem errors reach the model as a tool error with the message, not a crash."""
    try:
        yield
    except GraphMemError as exc:
        raise ToolError(str(exc)) from exc
