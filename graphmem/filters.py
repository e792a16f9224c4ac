"""mem0's filter language, compiled to a parameterised Cypher predicate.

    {"AND": [{"room_id": "proj-42"}, {"OR": [{"user_id": "alice"}, {"user_id": "bob"}]}]}
    {"priority": {"gte": 2, "lt": 5}, "tags": {"contains": "travel"}, "source": "*"}

A mapping with several keys means AND. A bare value means eq; "*" means "the key is set".
Operators: eq, ne, gt, gte, lt, lte, in, nin, contains, icontains; groups AND, OR, NOT
(NOT takes a mapping or a list, and negates the AND of its items).

Keys: user_id, agent_id and run_id address the scope ids; every other key is a metadata
key (dotted for nested metadata) and addresses the flattened `meta.<key>` property.

Semantics, chosen so that NOT is an exact complement (every leaf is true or false, never
null): a missing key makes every operator false except ne and nin, which are true.
Values compare only within one kind (numbers with numbers, strings with strings, booleans
with booleans); across kinds eq is false. `contains` / `icontains` test a substring of a
string value, or membership (case-folded for icontains) of a list value.

How the predicate reaches Cypher: the recall statements in cypher/recall/ carry the
marker `true /*graphmem:filter*/` where a filter belongs (so each file still runs as is
in Neo4j Browser, unfiltered). `Predicate.apply(statement)` swaps the marker for the
compiled predicate. The predicate text is assembled only from the fixed operator
templates below, the fixed node alias and generated parameter names; every key and value
from the caller travels as a parameter (`f[$flt_3_key]`, `$flt_3_value`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphmem.errors import FilterError, InputError
from graphmem.metadata import property_name

MARKER = "true /*graphmem:filter*/"
SCOPE_KEYS = frozenset({"user_id", "agent_id", "run_id"})
GROUPS = ("AND", "OR", "NOT")
WILDCARD = "*"
MAX_LEAVES = 100
MAX_LIST = 1000
# Groups nest at most this deep: real filters nest two or three; deeper ones would only
# exhaust the compiler's recursion (and Cypher's parser) on a hostile request.
MAX_DEPTH = 16
_ALIAS = re.compile(r"^[a-z][a-z0-9_]{0,15}$")

# {v} is the property reference, {p} the value parameter. Every template yields true/false.
_TEMPLATES: dict[str, str] = {
    "eq": "coalesce({v} = {p}, false)",
    "ne": "NOT coalesce({v} = {p}, false)",
    "gt": "coalesce({v} > {p}, false)",
    "gte": "coalesce({v} >= {p}, false)",
    "lt": "coalesce({v} < {p}, false)",
    "lte": "coalesce({v} <= {p}, false)",
    "in": "coalesce({v} IN {p}, false)",
    "nin": "NOT coalesce({v} IN {p}, false)",
    "contains": (
        "coalesce(CASE WHEN {v} IS :: STRING THEN {v} CONTAINS {p} "
        "WHEN {v} IS :: LIST<ANY> THEN {p} IN {v} ELSE false END, false)"
    ),
    "icontains": (
        "coalesce(CASE WHEN {v} IS :: STRING THEN toLower({v}) CONTAINS {p} "
        "WHEN {v} IS :: LIST<ANY> THEN any(x IN {v} WHERE x IS :: STRING AND toLower(x) = {p}) "
        "ELSE false END, false)"
    ),
    "exists": "{v} IS NOT NULL",
}
OPERATORS = tuple(op for op in _TEMPLATES if op != "exists")
_ORDERED = {"gt", "gte", "lt", "lte"}
_LISTS = {"in", "nin"}
_TEXT = {"contains", "icontains"}


@dataclass(frozen=True)
class Predicate:
    """A boolean Cypher expression over one node alias, with the parameters it reads."""

    cypher: str = "true"
    params: dict[str, Any] = field(default_factory=dict)

    def apply(self, statement: str) -> str:
        """The statement with its filter markers replaced by this predicate (a statement
        built from fragments carries one per read of facts, e.g. recall/candidates' scan and
        index branches, and each applies the caller's filter)."""
        if MARKER not in statement:
            raise ValueError("a filtered statement must carry a filter marker")
        return statement.replace(MARKER, f"({self.cypher})")


NO_FILTER = Predicate()


def compile_filters(
    filters: Mapping[str, Any] | None, *, alias: str = "f", prefix: str = "flt"
) -> Predicate:
    """Compile mem0-style filters into a Predicate on `alias`; FilterError when malformed."""
    if not _ALIAS.fullmatch(alias) or not _ALIAS.fullmatch(prefix):
        raise ValueError("alias and prefix must be short lowercase identifiers")
    if filters is None:
        return NO_FILTER
    if not isinstance(filters, Mapping):
        raise FilterError(f"filters must be a mapping, got {type(filters).__name__}")
    if not filters:
        return NO_FILTER
    compiler = _Compiler(alias, prefix)
    text = compiler.mapping(filters, "filters")
    return Predicate(text, compiler.params)


class _Compiler:
    def __init__(self, alias: str, prefix: str) -> None:
        self.alias = alias
        self.prefix = prefix
        self.params: dict[str, Any] = {}
        self._ids: Iterator[int] = itertools.count()
        self._leaves = 0

    def mapping(self, node: Mapping[str, Any], where: str, depth: int = 1) -> str:
        if not isinstance(node, Mapping) or not node:
            raise FilterError(f"{where}: expected a non-empty mapping")
        if depth > MAX_DEPTH:
            raise FilterError(f"filters nest deeper than {MAX_DEPTH} groups")
        parts = [self.entry(key, value, where, depth) for key, value in node.items()]
        return _join(parts, "AND")

    def entry(self, key: Any, value: Any, where: str, depth: int) -> str:
        if key in GROUPS:
            return self.group(key, value, f"{where}.{key}", depth)
        if not isinstance(key, str):
            raise FilterError(f"{where}: filter keys must be strings, got {key!r}")
        if key.upper() in GROUPS:
            raise FilterError(f"{where}: write the group operator {key!r} in capitals")
        prop = _property(key, where)
        if isinstance(value, Mapping):
            if not value:
                raise FilterError(f"{where}.{key}: empty operator mapping")
            return _join(
                [self.leaf(prop, op, v, f"{where}.{key}") for op, v in value.items()], "AND"
            )
        if isinstance(value, str) and value == WILDCARD:
            return self.leaf(prop, "exists", None, f"{where}.{key}")
        return self.leaf(prop, "eq", value, f"{where}.{key}")

    def group(self, op: str, value: Any, where: str, depth: int) -> str:
        items: Sequence[Any] = [value] if isinstance(value, Mapping) else value
        if isinstance(items, (str, bytes)) or not isinstance(items, Sequence) or not items:
            raise FilterError(f"{where}: expected a mapping or a non-empty list of mappings")
        parts = [self.mapping(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(items)]
        if op == "NOT":
            return f"(NOT {_join(parts, 'AND')})"
        return _join(parts, op)

    def leaf(self, prop: str, op: Any, value: Any, where: str) -> str:
        if op not in _TEMPLATES or (op == "exists" and value is not None):
            raise FilterError(
                f"{where}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}"
            )
        self._leaves += 1
        if self._leaves > MAX_LEAVES:
            raise FilterError(f"filters: more than {MAX_LEAVES} conditions")
        n = next(self._ids)
        key_param = f"{self.prefix}_{n}_key"
        self.params[key_param] = prop
        ref = f"{self.alias}[${key_param}]"
        if op == "exists":
            return _TEMPLATES[op].format(v=ref)
        value_param = f"{self.prefix}_{n}_value"
        self.params[value_param] = _checked_value(op, value, where)
        return _TEMPLATES[op].format(v=ref, p=f"${value_param}")


def _property(key: str, where: str) -> str:
    if key in SCOPE_KEYS:
        return key
    try:
        return property_name(key)
    except InputError as exc:
        raise FilterError(f"{where}: {exc}") from None


def _checked_value(op: str, value: Any, where: str) -> Any:
    if op in _LISTS:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise FilterError(f"{where}.{op}: expected a list of values")
        if len(value) > MAX_LIST:
            raise FilterError(f"{where}.{op}: more than {MAX_LIST} values")
        return [_scalar(v, f"{where}.{op}") for v in value]
    scalar = _scalar(value, f"{where}.{op}")
    if op in _TEXT:
        if not isinstance(scalar, str):
            raise FilterError(f"{where}.{op}: expected a string")
        return scalar.lower() if op == "icontains" else scalar
    if op in _ORDERED and isinstance(scalar, bool):
        raise FilterError(f"{where}.{op}: booleans cannot be ordered")
    return scalar


def _scalar(value: Any, where: str) -> str | int | float | bool:
    if isinstance(value, float) and not math.isfinite(value):
        raise FilterError(f"{where}: {value} is not a number a filter can compare")
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        raise FilterError(f"{where}: a list needs the 'in' or 'nin' operator")
    raise FilterError(f"{where}: unsupported value type {type(value).__name__}")


def _join(parts: Sequence[str], op: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {op} ".join(parts) + ")"
