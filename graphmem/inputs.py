"""Validation of what callers hand the public API, into graphmem's own errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
