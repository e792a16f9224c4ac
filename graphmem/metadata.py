"""Caller metadata <-> flat node properties.

Neo4j properties cannot hold maps, so {"room": {"id": 4}} is stored as the property
`meta.room.id`. Keys are validated segment by segment; values must be scalars or
lists of scalars of one type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from graphmem.errors import InputError
from graphmem.identifiers import metadata_key

PREFIX = "meta."
MAX_DEPTH = 3
MAX_KEYS = 64
MAX_STRING = 4_000
Scalar = str | int | float | bool


def flatten(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validated metadata as node properties named meta.<key>[.<key>...]."""
    props: dict[str, Any] = {}
    _flatten_into(props, metadata or {}, PREFIX, depth=1)
    if len(props) > MAX_KEYS:
        raise InputError(f"metadata has {len(props)} keys; at most {MAX_KEYS} are allowed")
    return props


def unflatten(props: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata dict back from a node's properties."""
    result: dict[str, Any] = {}
    for name, value in props.items():
        if not name.startswith(PREFIX):
            continue
        *parents, leaf = name[len(PREFIX) :].split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return result


def property_name(key: str) -> str:
    """The property a (possibly dotted) metadata key is stored under."""
    return PREFIX + ".".join(metadata_key(part) for part in key.split("."))


def _flatten_into(props: dict[str, Any], data: Mapping[str, Any], prefix: str, depth: int) -> None:
    if not isinstance(data, Mapping):
        raise InputError("metadata must be a mapping of keys to values")
    for key, value in data.items():
        name = prefix + metadata_key(key)
        if isinstance(value, Mapping):
            if depth >= MAX_DEPTH:
                raise InputError(f"metadata nests deeper than {MAX_DEPTH} levels at {name!r}")
            _flatten_into(props, value, name + ".", depth + 1)
        elif value is not None:
            props[name] = _checked_value(name, value)


def _checked_value(name: str, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        items = [_checked_scalar(name, v) for v in value]
        if len({type(v) for v in items}) > 1:
            raise InputError(f"metadata list {name!r} mixes value types")
        return items
    return _checked_scalar(name, value)


def _checked_scalar(name: str, value: Any) -> Scalar:
    if isinstance(value, str):
        if not _utf8(value):
            raise InputError(f"metadata value {name!r} is not valid UTF-8 text")
        if len(value) > MAX_STRING:
            raise InputError(f"metadata value {name!r} is longer than {MAX_STRING} characters")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"metadata value {name!r} is {value}; only finite numbers are stored")
    if isinstance(value, (bool, int, float)):
        return value
    raise InputError(f"metadata value {name!r} has unsupported type {type(value).__name__}")


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
