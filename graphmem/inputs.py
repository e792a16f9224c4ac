"""Validation of what callers hand the public API, into graphmem's own errors.

Every public entry point checks its arguments here, so a wrong type is an InputError that
says which argument, never a TypeError or AttributeError from deep inside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from pydantic import ValidationError

from graphmem.errors import InputError
from graphmem.models import MAX_MESSAGES, FactInput, Message, Scope, representable_time

SCOPE_IDS = ("user_id", "agent_id", "run_id")
MessagesLike = str | Mapping[str, Any] | Message | Sequence[Mapping[str, Any] | Message | str]


def messages(value: MessagesLike) -> list[Message]:
    """A str, one message dict, or a list of them, as validated Messages."""
    items: Sequence[Any] = [value] if isinstance(value, (str, Mapping, Message)) else value
    if not isinstance(items, Sequence) or not items:
        raise InputError("messages must be a non-empty string, message, or list of messages")
    if len(items) > MAX_MESSAGES:
        raise InputError(f"{len(items)} messages in one add; at most {MAX_MESSAGES}")
    return [_message(item, index) for index, item in enumerate(items)]


def scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> Scope:
    try:
        return Scope(user_id=user_id, agent_id=agent_id, run_id=run_id)
    except ValidationError as exc:
        raise InputError(f"invalid scope: {_first_error(exc)}") from None


def scope_with_filters(
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    filters: Mapping[str, Any] | None,
) -> Scope:
    """The scope of a read, as mem0 1.x (ids as arguments) or 2.x (ids inside `filters`)
    callers give it (scope_ids). The filters still apply as written (within the scope)."""
    found = scope_ids(user_id, agent_id, run_id, filters)
    if all(v is None for v in found.values()):
        raise InputError(
            "invalid scope: a scope needs at least one of user_id, agent_id, run_id (as "
            'arguments, or inside filters as mem0 2.x writes it: filters={"user_id": "..."})'
        )
    return scope(found["user_id"], found["agent_id"], found["run_id"])


def scope_ids(
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    filters: Mapping[str, Any] | None,
) -> dict[str, str | None]:
    """The scope ids given as arguments, and for an id not given so, the one an equality in
    the filters names: {"user_id": "alice"}, {"user_id": {"eq": "alice"}}, or one of those
    inside a top-level AND."""
    found = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    if isinstance(filters, Mapping):
        for name, value in _scope_equalities(filters):
            if found[name] is None:
                found[name] = value
    return found


def _scope_equalities(filters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    items = [filters, *(c for c in _listed(filters.get("AND")) if isinstance(c, Mapping))]
    pairs = []
    for item in items:
        for name in SCOPE_IDS:
            value = item.get(name)
            if isinstance(value, Mapping) and set(value) == {"eq"}:
                value = value["eq"]
            if isinstance(value, str) and value != "*":
                pairs.append((name, value))
    return pairs


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def count(
    value: int | None, alias: int | None, names: tuple[str, str], default: int, high: int
) -> int:
    """A result count given under either of its two names (graphmem's `top_k`, mem0 1.x's
    `limit`): one of them, the same value twice, or neither (the default)."""
    if value is not None and alias is not None and value != alias:
        raise InputError(f"{names[0]} and {names[1]} name the same count; give one of them")
    if value is None and alias is not None:
        return number(alias, names[1], 1, high)
    return number(default if value is None else value, names[0], 1, high)


# mem0 arguments graphmem has no counterpart for, with what to do instead.
UNSUPPORTED = {
    "memory_type": "graphmem has no procedural memories: store the procedure as facts, or as "
    "metadata on them",
    "prompt": "a per-call prompt is not taken: set extraction_instructions (mem0's "
    "custom_fact_extraction_prompt) for every add",
}


def unsupported(**given: Any) -> None:
    """An InputError for a mem0 argument that was given a value graphmem cannot honour."""
    for name, value in given.items():
        if value is not None:
            raise InputError(f"{name}: {UNSUPPORTED[name]}")


def new_text(value: Any, data: Any) -> str:
    """A memory's new text, as graphmem (`text`) or mem0 (`data`) names it."""
    if value is not None and data is not None and value != data:
        raise InputError("text and data name the same new text (data is mem0's name); give one")
    chosen = value if value is not None else data
    if chosen is None:
        raise InputError("the new text is missing: update(memory_id, text) or data=...")
    return text(chosen, "text")


def moment(value: Any, name: str) -> datetime | None:
    """A point in time as callers give it: a datetime, a date (its midnight), ISO 8601 text
    ("2023-12-01", "2023-12-01T09:30:00Z") or Unix seconds (mem0's timestamp), as an aware
    datetime (naive ones are UTC) within years 1-9999 once in UTC. None stays None; anything
    else is an InputError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            parsed = datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise InputError(f"{name} {value!r} is out of range") from None
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"{name} {value!r} is not an ISO 8601 date or time") from None
    else:
        raise InputError(f"{name} must be a datetime, a date or ISO 8601 text, not {_kind(value)}")
    try:
        representable_time(parsed)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def fraction(value: Any, name: str) -> float | None:
    """A number between 0 and 1 (a score threshold), or None; else an InputError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"{name} must be a number between 0 and 1, not {value!r}")
    return float(value)


def facts(values: Sequence[str | Mapping[str, Any] | FactInput]) -> list[FactInput]:
    if not isinstance(values, (list, tuple)) or not values:
        raise InputError(
            f"facts must be a non-empty list of strings or fact dicts, not {_kind(values)}"
        )
    return [_fact(v, i) for i, v in enumerate(values)]


def metadata(value: Any) -> Mapping[str, Any] | None:
    """Caller metadata: None or a mapping (its keys and values are checked when stored)."""
    if value is not None and not isinstance(value, Mapping):
        raise InputError(f"metadata must be an object of keys to values, not {_kind(value)}")
    return value


def text(value: Any, name: str) -> str:
    """A non-blank string argument (a query, a new text, an entity name, an id)."""
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, not {_kind(value)}")
    if not value.strip():
        raise InputError(f"{name} is empty")
    return value


def number(value: Any, name: str, low: int, high: int) -> int:
    """An integer argument within [low, high] (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be an integer, not {_kind(value)}")
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}")
    return value


def _message(item: Any, index: int) -> Message:
    if isinstance(item, Message):
        return item
    if isinstance(item, str):
        item = {"role": "user", "content": item}
    try:
        return Message.model_validate(item)
    except ValidationError as exc:
        raise InputError(f"message {index}: {_first_error(exc)}") from None


def _fact(item: Any, index: int) -> FactInput:
    if isinstance(item, FactInput):
        return item
    if isinstance(item, str):
        item = {"text": item}
    try:
        return FactInput.model_validate(item)
    except ValidationError as exc:
        raise InputError(f"fact {index}: {_first_error(exc)}") from None


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
