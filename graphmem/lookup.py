"""Lookups without ranking: one fact by id, a scope's facts, an entity's history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from graphmem.filters import compile_filters
from graphmem.models import Scope, key_in_scope
from graphmem.recall import window_for
from graphmem.shapes import entity, iso, memory_item, relation, utc
from graphmem.store.recall_reads import RecallReads


def get(reads: RecallReads, scope: Scope | None, fact_id: str) -> dict[str, Any] | None:
    """One fact as a MemoryItem dict, or None (unknown, deleted, or outside the scope)."""
    row = reads.get_fact(scope, fact_id)
    return memory_item(row).model_dump(mode="json") if row else None


def get_all(
    reads: RecallReads,
    scope: Scope,
    *,
    filters: Mapping[str, Any] | None,
    limit: int,
    offset: int,
    include_superseded: bool,
) -> dict[str, Any]:
    """The scope's facts, newest first, under filters; mem0's {"results": [...]} shape."""
    window = window_for(None, include_superseded)
    rows = reads.get_all(
        scope, window=window, where=compile_filters(filters), limit=limit, offset=offset
    )
    return {"results": [memory_item(r).model_dump(mode="json") for r in rows]}


def entity_history(reads: RecallReads, scope: Scope, name: str) -> dict[str, Any] | None:
    """An entity's facts and relations with their validity, and one merged timeline, each
    in valid-time order. "me", "I", "User", the scope's user_id and the user's name (the
    self entity's aliases) all name the scope's self entity."""
    found = reads.entity_history(scope, key_in_scope(name, scope))
    if found is None:
        return None
    facts = [memory_item({**f, "entities": []}).model_dump(mode="json") for f in found["facts"]]
    relations = [
        {
            **relation(r),
            "created_at": iso(r.get("created_at")),
            "invalidated_at": iso(r.get("invalidated_at")),
            "state": _state(r),
        }
        for r in found["relations"]
    ]
    facts.sort(key=_start)
    relations.sort(key=_start)
    events = [{"kind": "fact", **f} for f in facts] + [{"kind": "relation", **r} for r in relations]
    events.sort(key=_start)
    return {
        "entity": entity(found["entity"]),
        "facts": facts,
        "relations": relations,
        "timeline": events,
    }


def _state(row: Mapping[str, Any]) -> str:
    """current, ended (its validity is over) or superseded (retired by a later fact)."""
    valid_to = utc(row.get("valid_to"))
    if valid_to is not None and valid_to <= datetime.now(timezone.utc):
        return "ended"
    return "superseded" if row.get("invalidated_at") else "current"


def _start(event: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """Valid-time order: valid_from; else valid_to (a fact whose start is unknown held
    before its end); else when it was recorded. Ties by record time."""
    recorded = utc(_parsed(event.get("created_at"))) or _EPOCH
    start = _parsed(event.get("valid_from")) or _parsed(event.get("valid_to"))
    return (utc(start) or recorded, recorded)


def _parsed(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)
