"""What REST requests may carry, checked before anything runs, and who sends them.

Shared by graphmem's /v1 routes (rest.py) and mem0's routes (mem0_routes.py): text and JSON
checks (no lone surrogates, finite numbers, bounded nesting), the message and scope bodies,
and the dependencies every route takes: the caller's grant (its API key, within its limit
of requests in flight) and the Memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from graphmem.errors import InputError
from graphmem.memory import Memory
from graphmem.models import MAX_MESSAGE_CHARS, MAX_SCOPE_ID_CHARS, When
from graphmem.server.auth import Grant, KeyRing, ScopeDenied
from graphmem.server.fairness import RETRY_AFTER_S, KeyLimiter

try:
    from fastapi import Depends, HTTPException, Query, Request
    from fastapi import Path as PathParam
    from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "graphmem's REST server needs FastAPI: pip install 'graphmem[server]'"
    ) from exc

MAX_QUERY_CHARS = 4_000
MAX_PAGE = 1_000
MAX_TOP_K = 100
MAX_JSON_DEPTH = 32
MAX_PARTS = 16  # content parts of one message
MAX_IMAGE_URL_CHARS = 30_000_000  # a data URI; the body limit bounds it first
OPEN_GRANT = Grant(name="no-auth", scope=None)


def unicode_text(value: str) -> str:
    """JSON may carry lone surrogates ("\\ud800"); no text store can hold them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (lone surrogate)") from None
    return value


def unicode_tree(value: Any, depth: int = 0) -> Any:
    """Every string inside metadata or a filter, checked like Text: a lone surrogate must be
    refused here, before any write (the driver fails on it halfway through a transaction).
    Numbers must be finite (JSON has no NaN; Python's parser lets NaN and 1e400 through),
    and nesting is bounded (a filter 250 groups deep would exhaust the recursion)."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        return unicode_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a number JSON can carry")
    if isinstance(value, dict):
        return {unicode_tree(k, depth + 1): unicode_tree(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [unicode_tree(v, depth + 1) for v in value]
    return value


Text = Annotated[str, AfterValidator(unicode_text)]
JSONObject = Annotated[dict[str, Any], AfterValidator(unicode_tree)]
ScopeId = Annotated[Text, Field(min_length=1, max_length=MAX_SCOPE_ID_CHARS)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeBody(Body):
    user_id: ScopeId | None = None
    agent_id: ScopeId | None = None
    run_id: ScopeId | None = None


class ImageURL(Body):
    url: Annotated[Text, Field(min_length=1, max_length=MAX_IMAGE_URL_CHARS)] = Field(
        description="An http(s) URL or a data URI (data:image/png;base64,...)."
    )
    detail: Literal["low", "high", "auto"] | None = None


class TextPart(Body):
    type: Literal["text"]
    text: Annotated[Text, Field(max_length=MAX_MESSAGE_CHARS)]


class ImagePart(Body):
    """An image, described by the server's vision-capable model (graphmem/images.py)."""

    type: Literal["image_url"]
    image_url: ImageURL


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class MessageIn(Body):
    role: Literal["system", "user", "assistant", "tool"]
    content: (
        Annotated[Text, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
        | Annotated[list[ContentPart], Field(min_length=1, max_length=MAX_PARTS)]
    )
    name: Annotated[Text, Field(max_length=200)] | None = None
    timestamp: When | None = Field(default=None, description="When it was written.")


# -- auth ---------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def grant(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> AsyncIterator[Grant]:
    """The caller's grant, from its API key; 401 without a known key, 429 (Retry-After) when
    the key already has its limit of requests in flight. Async: a refusal never waits for a
    worker thread that the flooding key's requests hold."""
    keys: KeyRing | None = request.app.state.keys
    if keys is None:
        yield OPEN_GRANT
        return
    found = keys.lookup(bearer.credentials if bearer else header)
    if found is None:
        raise HTTPException(
            401, "a valid API key is required", headers={"WWW-Authenticate": "Bearer"}
        )
    limiter: KeyLimiter = request.app.state.limiter
    if not limiter.try_acquire(found.name):
        raise HTTPException(
            429,
            f"this API key already has {limiter.max_in_flight} requests in flight; retry later",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    try:
        yield found
    finally:
        limiter.release(found.name)


def get_memory(request: Request) -> Memory:
    return request.app.state.memory


GrantDep = Annotated[Grant, Depends(grant)]
MemoryDep = Annotated[Memory, Depends(get_memory)]
UserQ = Annotated[str | None, Query(min_length=1, max_length=MAX_SCOPE_ID_CHARS)]
MemoryId = Annotated[str, PathParam(min_length=1, max_length=100)]


def confined_scope(
    who: GrantDep, user_id: UserQ = None, agent_id: UserQ = None, run_id: UserQ = None
) -> dict[str, str | None]:
    """The scope ids the query names, within the caller's grant (ScopeDenied otherwise)."""
    return who.confine(user_id, agent_id, run_id)


ScopeQ = Annotated[dict[str, str | None], Depends(confined_scope)]


def admin_only(who: Grant) -> None:
    """Erasure and resetting every scope are for keys that grant every scope ("*"), and for
    a server without keys."""
    if who.scope is not None:
        raise ScopeDenied("this needs an admin key (one granting every scope)")


def json_object(raw: str | None, name: str) -> dict[str, Any] | None:
    """A JSON object passed as a query parameter (filters), checked like a body's."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InputError(f"{name} must be a JSON object")
    try:
        return unicode_tree(value)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
