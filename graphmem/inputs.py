"""Validation of what callers hand the public API, into graphmem's own errors."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from pydantic import ValidationError

from graphmem.errors import InputError
from graphmem.models import MAX_MESSAGES, FactInput, Message, Scope

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


def moment(value: Any, name: str) -> datetime | None:
    """A point in time as callers give it: a datetime, a date (its midnight), ISO 8601 text
    ("2023-12-01", "2023-12-01T09:30:00Z") or Unix seconds (mem0's timestamp), as an aware
    datetime (naive ones are UTC). None stays None; anything else is an InputError."""
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
        raise InputError(f"{name} must be a datetime, a date or ISO 8601 text, not {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def fraction(value: Any, name: str) -> float | None:
    """A number between 0 and 1 (a score threshold), or None; else an InputError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"{name} must be a number between 0 and 1, not {value!r}")
    return float(value)


def facts(values: Sequence[str | Mapping[str, Any] | FactInput]) -> list[FactInput]:
    if isinstance(values, (str, Mapping)) or not values:
        raise InputError("facts must be a non-empty list of strings or fact dicts")
    return [_fact(v, i) for i, v in enumerate(values)]


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


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
