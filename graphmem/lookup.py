"""Lookups without ranking: one fact by id, a scope's facts, an entity's history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from graphmem.filters import compile_filters
from graphmem.models import Scope, entity_key
from graphmem.recall import window_for
from graphmem.shapes import aware, iso, memory_item, relation
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
    """An entity's facts and relations with their validity, and one merged timeline."""
    found = reads.entity_history(scope, entity_key(name))
    if found is None:
        return None
    entity = found["entity"]
    facts = [memory_item({**f, "entities": []}).model_dump(mode="json") for f in found["facts"]]
    relations = [
        {
            **relation(r),
            "created_at": iso(r.get("created_at")),
            "invalidated_at": iso(r.get("invalidated_at")),
        }
        for r in found["relations"]
    ]
    events = [{"kind": "fact", **f} for f in facts] + [{"kind": "relation", **r} for r in relations]
    events.sort(key=lambda e: (_when(e), e.get("created_at") or ""))
    return {
        "entity": {k: iso(v) if hasattr(v, "to_native") else v for k, v in entity.items()},
        "facts": facts,
        "relations": relations,
        "timeline": events,
    }


def _when(event: Mapping[str, Any]) -> str:
    """Sort key: valid_from, else created_at, as UTC ISO text."""
    value = event.get("valid_from") or event.get("created_at") or ""
    try:
        return aware(datetime.fromisoformat(value)).astimezone(timezone.utc).isoformat()
    except ValueError:
        return value
