"""mem0's open-source REST server routes, beside graphmem's /v1 ones.

A client written for mem0's server (`POST /memories`, `POST /search`, `GET /memories`,
`GET|PUT|DELETE /memories/{id}`, `GET /memories/{id}/history`, `DELETE /memories`,
`POST /reset`) works against `graphmem serve` with the same bodies: mem0 1.x's `limit`
and 2.x's `top_k`, scope ids top-level or inside `filters`, `threshold`, `rerank`, and
an update's new text as `text` or mem0's `data`. Here are the routes that differ from
/v1; `POST /memories` and `GET` / `DELETE /memories/{id}` are the /v1 handlers, also
registered on mem0's paths (rest.py). The same API keys and scope binding as /v1 apply: a
key pinned to alice reads and writes alice's memories only, whatever the body names
(another user is 403), and `POST /reset` resets the key's own scope; all scopes only with
an admin key and `?all_scopes=true`. Differences from mem0's server, and why, are in
docs/migrating-from-mem0.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from graphmem import inputs
from graphmem.errors import InputError
from graphmem.models import MAX_MESSAGE_CHARS
from graphmem.server.requests import (
    MAX_PAGE,
    MAX_QUERY_CHARS,
    MAX_TOP_K,
    Body,
    GrantDep,
    JSONObject,
    MemoryDep,
    MemoryId,
    ScopeBody,
    ScopeQ,
    Text,
    admin_only,
)
from graphmem.server.responses import (
    HistoryEntry,
    ListResponse,
    MessageResponse,
    SearchResponse,
    UpdateResponse,
)

try:
    from fastapi import APIRouter, HTTPException, Query
    from fastapi.responses import RedirectResponse
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "graphmem's REST server needs FastAPI: pip install 'graphmem[server]'"
    ) from exc

NewText = Annotated[Text, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
Count = Annotated[int, Field(ge=1, le=MAX_TOP_K)]
PageQ = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]

mem0_router = APIRouter(tags=["mem0"])


class Mem0SearchRequest(ScopeBody):
    """mem0's search body, 1.x (`limit`, ids top-level) or 2.x (`top_k`, ids in filters)."""

    query: Annotated[Text, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
    filters: JSONObject | None = Field(default=None, description="mem0 filter language.")
    limit: Count | None = Field(default=None, description="mem0 1.x's name for top_k.")
    top_k: Count | None = Field(default=None, description="How many results (default 10).")
    threshold: float | None = Field(default=None, ge=0, le=1)
    rerank: bool = Field(default=True, description="Let the configured reranker reorder.")


class MemoryUpdate(Body):
    """The new text as `text` or mem0's `data` (one of them), and metadata to merge."""

    text: NewText | None = None
    data: NewText | None = None
    metadata: JSONObject | None = None


@mem0_router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    """mem0's server sends its root to the API docs; so does graphmem's."""
    return RedirectResponse(url="/docs")


@mem0_router.post("/configure", response_model=MessageResponse, status_code=403)
def configure(who: GrantDep) -> MessageResponse:
    """Not supported: graphmem's server is configured by its operator (`graphmem serve`),
    never by a client."""
    raise HTTPException(
        403,
        "graphmem's server is configured by its operator (graphmem serve, GRAPHMEM_* "
        "settings), not through the API",
    )


@mem0_router.get("/memories", response_model=ListResponse)
def get_all_memories(
    memory: MemoryDep,
    scope: ScopeQ,
    limit: PageQ = None,
    top_k: PageQ = None,
) -> dict[str, Any]:
    """The scope's memories, newest first, and its relations (mem0's GET /memories)."""
    return memory.get_all(limit=limit, top_k=top_k, **scope)


@mem0_router.post("/search", response_model=SearchResponse)
def search_memories(body: Mem0SearchRequest, memory: MemoryDep, who: GrantDep) -> dict[str, Any]:
    """The scope's memories most relevant to the query, and their relations."""
    ids = inputs.scope_ids(body.user_id, body.agent_id, body.run_id, body.filters)
    return memory.search(
        body.query,
        filters=body.filters,
        limit=body.limit,
        top_k=body.top_k,
        threshold=body.threshold,
        rerank=body.rerank,
        **who.confine(**ids),
    )


@mem0_router.put("/memories/{memory_id}", response_model=UpdateResponse)
def update_memory(
    memory_id: MemoryId,
    body: MemoryUpdate,
    memory: MemoryDep,
    scope: ScopeQ,
) -> dict[str, Any]:
    """Replace a memory's text (`text` or mem0's `data`); entities and relations derived
    again; `metadata` merged."""
    return memory.update(
        memory_id,
        body.text,
        data=body.data,
        metadata=body.metadata,
        **scope,
    )


@mem0_router.get("/memories/{memory_id}/history", response_model=list[HistoryEntry])
def memory_history(
    memory_id: MemoryId,
    memory: MemoryDep,
    scope: ScopeQ,
) -> list[dict[str, Any]]:
    """A memory's change log, oldest first ([] when it has none in the key's scope)."""
    return memory.history(memory_id, **scope)


@mem0_router.delete("/memories", response_model=MessageResponse)
def delete_all_memories(
    memory: MemoryDep,
    scope: ScopeQ,
) -> dict[str, Any]:
    """Delete every memory of the scope (mem0's DELETE /memories?user_id=...)."""
    return memory.delete_all(**scope)


@mem0_router.post("/reset", response_model=MessageResponse)
def reset_memory(
    memory: MemoryDep,
    who: GrantDep,
    scope: ScopeQ,
    all_scopes: bool = False,
) -> dict[str, Any]:
    """Erase the scope's memories, entities, episodes and change log. mem0's reset wiped
    every user's: here a key resets its own scope, and every scope needs an admin key and
    `?all_scopes=true`."""
    named = any(v is not None for v in scope.values())
    if all_scopes:
        admin_only(who)
        if named:
            raise InputError("reset: give scope ids or all_scopes=true, not both")
        removed = memory.reset(all_scopes=True)
    else:
        removed = memory.reset(**scope)
    return {"message": "All memories reset", "removed": removed}
