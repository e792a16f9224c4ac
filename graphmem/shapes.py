"""How stored rows leave graphmem: MemoryItem dicts, relation dicts, ISO timestamps.

One place for the public shape of a fact and a relation, shared by search, listing and
history, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from graphmem.metadata import unflatten
from graphmem.models import MemoryItem
from graphmem.store.neo4j import native


def memory_item(row: Mapping[str, Any], **extra: Any) -> MemoryItem:
    """A stored fact row (properties + entities) as the public MemoryItem."""
    entities = [e["name"] if isinstance(e, Mapping) else e for e in row.get("entities", [])]
    return MemoryItem(
        id=row["id"],
        memory=row["text"],
        status=row.get("status", "active"),
        user_id=row.get("user_id"),
        agent_id=row.get("agent_id"),
        run_id=row.get("run_id"),
        metadata=unflatten(row),
        entities=entities,
        valid_from=native(row.get("valid_from")),
        valid_to=native(row.get("valid_to")),
        created_at=native(row.get("created_at")),
        updated_at=native(row.get("updated_at")),
        **extra,
    )


def relation(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source": row["source"],
        "relation": row["relation"],
        "target": row["target"],
        "fact_id": row["fact_id"],
        "valid_from": iso(row.get("valid_from")),
        "valid_to": iso(row.get("valid_to")),
    }


def iso(value: Any) -> str | None:
    value = native(value)
    return value.isoformat() if value is not None else None


def aware(moment: datetime) -> datetime:
    """Naive datetimes are read as UTC, as graphmem stores them."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
