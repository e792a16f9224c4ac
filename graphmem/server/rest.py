"""The REST API (FastAPI): `graphmem serve`, or `create_app(memory, keys)` in your own server.

Every route but /health needs an API key (`Authorization: Bearer <key>` or `X-API-Key`),
and every scope it touches must be within the key's (graphmem/server/auth.py). A memory of
another scope is reported as not found, so ids cannot be probed. Request bodies are capped
(413 above `max_body_bytes`). OpenAPI docs at /docs, the schema at /openapi.json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any

from pydantic import Field

from graphmem import __version__
from graphmem.errors import (
    ConfigError,
    EmbedderError,
    ExtractionError,
    GraphMemError,
    InputError,
    LLMError,
    NotFoundError,
    StoreError,
)
from graphmem.memory import Memory
from graphmem.models import MAX_MESSAGE_CHARS, MAX_MESSAGES, When
from graphmem.server.auth import KeyRing, ScopeDenied
from graphmem.server.fairness import DEFAULT_MAX_CONCURRENT_PER_KEY, KeyLimiter
from graphmem.server.mem0_routes import mem0_router
from graphmem.server.public_errors import public_message
from graphmem.server.requests import (
    MAX_PAGE,
    MAX_QUERY_CHARS,
    MAX_TOP_K,
    Body,
    GrantDep,
    JSONObject,
    MemoryDep,
    MemoryId,
    MessageIn,
    ScopeBody,
    ScopeQ,
    Text,
    UserQ,
    admin_only,
    json_object,
)
from graphmem.server.responses import (
    AddResponse,
    EntityHistoryResponse,
    HistoryEntry,
    ListResponse,
    MemoryOut,
    MessageResponse,
    RecordsResponse,
    SearchResponse,
    UpdateResponse,
)

try:
    from fastapi import FastAPI, HTTPException, Query, Request
    from fastapi import Path as PathParam
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "graphmem's REST server needs FastAPI: pip install 'graphmem[server]'"
    ) from exc

DEFAULT_MAX_BODY_BYTES = 1_000_000
# What each graphmem error means to an HTTP client.
STATUS_OF: tuple[tuple[type[GraphMemError], int], ...] = (
    (ScopeDenied, 403),
    (NotFoundError, 404),
    (InputError, 422),
    (ExtractionError, 502),
    (LLMError, 502),
    (StoreError, 503),
    (EmbedderError, 503),
    (ConfigError, 500),
)
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[..., Any], Callable[..., Any]], Awaitable[None]
]


class AddRequest(ScopeBody):
    """A conversation turn (or several) to remember; mem0's add()."""

    messages: (
        Annotated[Text, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
        | Annotated[list[MessageIn], Field(min_length=1, max_length=MAX_MESSAGES)]
    )
    metadata: JSONObject | None = None
    infer: bool = Field(default=True, description="false: store the messages as facts as-is.")
    timestamp: When | None = Field(default=None, description="When the conversation happened.")


class SearchRequest(ScopeBody):
    query: Annotated[Text, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
    filters: JSONObject | None = Field(default=None, description="mem0 filter language.")
    top_k: int = Field(default=10, ge=1, le=MAX_TOP_K)
    # Text, parsed by Memory.search (graphmem.inputs.moment): a bad value is a 422 naming it.
    as_of: Annotated[Text, Field(max_length=64)] | None = Field(
        default=None,
        description="Answer from what was valid then: a date or ISO 8601 time.",
        examples=["2023-12-01", "2023-12-01T09:30:00Z"],
    )
    include_superseded: bool = False
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="Drop results scoring below this."
    )


class UpdateRequest(Body):
    text: Annotated[Text, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    infer: bool = Field(
        default=True,
        description="Derive entities and relations with the LLM (false: keep the relations "
        "whose both ends the new text still names).",
    )


class ErasureRequest(ScopeBody):
    """The scope to erase: user_id alone covers all of that user's agents and runs."""


def create_app(
    memory: Memory,
    keys: KeyRing | None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_concurrent_per_key: int = DEFAULT_MAX_CONCURRENT_PER_KEY,
) -> FastAPI:
    """The REST app over one Memory. keys=None serves without authentication.

    Each API key may have `max_concurrent_per_key` requests in flight; more are answered
    429 with Retry-After (graphmem/server/fairness.py)."""
    app = FastAPI(
        title="graphmem",
        version=__version__,
        description="Relationship-aware long-term memory for LLM agents, on Neo4j.",
    )
    app.state.memory = memory
    app.state.keys = keys
    app.state.limiter = KeyLimiter(max_concurrent_per_key)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_exception_handler(GraphMemError, _graphmem_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(UnicodeError, _unicode_error)  # type: ignore[arg-type]
    _routes(app)
    app.include_router(mem0_router)
    return app


# -- routes -------------------------------------------------------------------


def _routes(app: FastAPI) -> None:
    @app.get("/health", tags=["service"])
    def health(memory: MemoryDep) -> dict[str, Any]:
        """Liveness and Neo4j reachability (no key needed)."""
        return {"status": "ok", "version": __version__, "neo4j": memory.store.server_version()}

    # The same handler answers mem0's route (graphmem/server/mem0_routes.py has the others).
    @app.post("/v1/memories", tags=["memories"], response_model=AddResponse)
    @app.post("/memories", tags=["mem0"], response_model=AddResponse)
    def add(body: AddRequest, memory: MemoryDep, who: GrantDep) -> dict[str, Any]:
        """Remember a conversation turn: facts, entities and relations are extracted."""
        scope = who.confine(body.user_id, body.agent_id, body.run_id)
        messages = (
            body.messages
            if isinstance(body.messages, str)
            else [m.model_dump(exclude_none=True) for m in body.messages]
        )
        return memory.add(
            messages, metadata=body.metadata, infer=body.infer, timestamp=body.timestamp, **scope
        )

    @app.post("/v1/memories/search", tags=["memories"], response_model=SearchResponse)
    def search(body: SearchRequest, memory: MemoryDep, who: GrantDep) -> dict[str, Any]:
        """The scope's memories most relevant to the query, with relations and a context."""
        scope = who.confine(body.user_id, body.agent_id, body.run_id)
        return memory.search(
            body.query,
            filters=body.filters,
            top_k=body.top_k,
            as_of=body.as_of,
            include_superseded=body.include_superseded,
            threshold=body.threshold,
            **scope,
        )

    @app.get("/v1/memories", tags=["memories"], response_model=ListResponse)
    def list_memories(
        memory: MemoryDep,
        scope: ScopeQ,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        include_superseded: bool = False,
        filters: Annotated[
            str | None,
            Query(max_length=MAX_QUERY_CHARS, description='mem0 filter as JSON: {"room": "x"}'),
        ] = None,
    ) -> dict[str, Any]:
        """The scope's memories, newest first, paged, under an optional metadata filter."""
        return memory.get_all(
            limit=limit,
            offset=offset,
            include_superseded=include_superseded,
            filters=json_object(filters, "filters"),
            **scope,
        )

    @app.get("/v1/memories/{memory_id}", tags=["memories"], response_model=MemoryOut)
    @app.get("/memories/{memory_id}", tags=["mem0"], response_model=MemoryOut)
    def get(
        memory_id: MemoryId,
        memory: MemoryDep,
        scope: ScopeQ,
    ) -> dict[str, Any]:
        """One memory by id (404 if unknown or outside the key's scope)."""
        found = memory.get(memory_id, **scope)
        if found is None:
            raise HTTPException(404, f"no memory with id {memory_id!r}")
        return found

    @app.put("/v1/memories/{memory_id}", tags=["memories"], response_model=UpdateResponse)
    def update(
        memory_id: MemoryId,
        body: UpdateRequest,
        memory: MemoryDep,
        scope: ScopeQ,
    ) -> dict[str, Any]:
        """Replace a memory's text: re-embedded, entities and relations derived again, logged."""
        return memory.update(memory_id, body.text, infer=body.infer, **scope)

    @app.delete("/v1/memories/{memory_id}", tags=["memories"], response_model=MessageResponse)
    @app.delete("/memories/{memory_id}", tags=["mem0"], response_model=MessageResponse)
    def delete(
        memory_id: MemoryId,
        memory: MemoryDep,
        scope: ScopeQ,
    ) -> dict[str, Any]:
        """Delete a memory and the relations resting on it."""
        return memory.delete(memory_id, **scope)

    @app.get(
        "/v1/memories/{memory_id}/history", tags=["memories"], response_model=list[HistoryEntry]
    )
    def history(
        memory_id: MemoryId,
        memory: MemoryDep,
        scope: ScopeQ,
    ) -> list[dict[str, Any]]:
        """A memory's change log, oldest first (404 if it has none in the key's scope)."""
        events = memory.history(memory_id, **scope)
        if not events:
            raise HTTPException(404, f"no memory with id {memory_id!r}")
        return events

    @app.post("/v1/erasures", tags=["erasure"])
    def forget(body: ErasureRequest, memory: MemoryDep, who: GrantDep) -> dict[str, Any]:
        """Erase every trace of a scope and return the erasure record (an admin key's: one
        granting every scope). The record holds no personal data."""
        admin_only(who)
        return memory.forget(
            user_id=body.user_id,
            agent_id=body.agent_id,
            run_id=body.run_id,
            requester=f"api:{who.name}",
        )

    @app.get("/v1/erasures", tags=["erasure"], response_model=RecordsResponse)
    def erasures(
        memory: MemoryDep,
        who: GrantDep,
        user_id: UserQ = None,
        agent_id: UserQ = None,
        run_id: UserQ = None,
    ) -> dict[str, Any]:
        """The erasure records, newest first, as {"results": [...]}; with scope ids, those
        of exactly that scope (an admin key's)."""
        admin_only(who)
        return memory.erasures(user_id=user_id, agent_id=agent_id, run_id=run_id)

    @app.get("/v1/entities", tags=["entities"], response_model=RecordsResponse)
    def entities(
        memory: MemoryDep,
        scope: ScopeQ,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """The scope's entities, most mentioned first: {"results": [...]}."""
        return memory.entities(limit=limit, offset=offset, **scope)

    @app.get("/v1/entities/{name}/history", tags=["entities"], response_model=EntityHistoryResponse)
    def entity_history(
        name: Annotated[str, PathParam(min_length=1, max_length=200)],
        memory: MemoryDep,
        scope: ScopeQ,
    ) -> dict[str, Any]:
        """An entity's timeline: its facts and relations with validity, in valid-time order.
        "me" (or the user_id, or the user's name) names the user's own entity."""
        found = memory.entity_history(name, **scope)
        if found is None:
            raise HTTPException(404, f"no entity named {name!r} in that scope")
        return found


async def _graphmem_error(request: Request, exc: GraphMemError) -> JSONResponse:
    """What went wrong, in words an API client can act on: faults on the server's side
    (Neo4j, the LLM server) without their internal URLs and ids (public_errors.py)."""
    status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 500)
    content: dict[str, Any] = {"detail": public_message(exc), "error": type(exc).__name__}
    episode_id = getattr(exc, "episode_id", None)
    if isinstance(exc, (ExtractionError, LLMError)) and episode_id:
        content["episode_id"] = episode_id
    return JSONResponse(content, status_code=status)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, minus the offending input: it may be NaN or Infinity (which JSON
    cannot carry, so the stock answer fails to render and becomes a 500), or huge."""
    detail = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _unicode_error(request: Request, exc: UnicodeError) -> JSONResponse:
    return JSONResponse({"detail": f"text is not valid Unicode: {exc.reason}"}, status_code=422)


class BodyLimit:
    """ASGI middleware: refuse request bodies over max_bytes with 413, whether the client
    declares the length or streams the body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(send, 413 if declared.isdigit() else 400)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _refuse(send, 413)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Any, status: int) -> None:
    detail = b'{"detail":"request body too large"}' if status == 413 else b'{"detail":"bad length"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(detail))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": detail})
