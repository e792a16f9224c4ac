"""How stored rows leave graphmem: MemoryItem dicts, relation and entity dicts, timestamps.

One place for the public shape of a fact, a relation and an entity, shared by search,
listing, history and export, so they cannot drift apart. Every timestamp leaves as ISO 8601
in UTC with a "Z" ("2024-12-24T09:30:00Z"; fractions of a second only when there are
some), whether it was stored as a Neo4j DateTime or arrives as a Python datetime. Internal
properties (embeddings, the scope key) never leave.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from graphmem.metadata import unflatten
from graphmem.models import MemoryItem
from graphmem.store.vectors import VECTOR_PROPERTIES

# Entity properties that are graphmem's own bookkeeping, never shown.
_INTERNAL = frozenset({"scope_key", *VECTOR_PROPERTIES})


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
        hash=row.get("content_hash"),
        metadata=unflatten(row),
        entities=entities,
        valid_from=utc(row.get("valid_from")),
        valid_to=utc(row.get("valid_to")),
        created_at=utc(row.get("created_at")),
        updated_at=utc(row.get("updated_at")),
        attachments=list(row.get("attachments") or []),
        **extra,
    )


def relation(row: Mapping[str, Any]) -> dict[str, Any]:
    """A relation as search, history and listings show it: mem0's {source, relationship,
    destination}, and graphmem's own names (relation, target) and the fact it rests on."""
    return {
        **mem0_triple(row["source"], row["relation"], row["target"]),
        "fact_id": row["fact_id"],
        "valid_from": iso(row.get("valid_from")),
        "valid_to": iso(row.get("valid_to")),
    }


def mem0_triple(source: str, kind: str, target: str) -> dict[str, str]:
    """A relation's ends and type under mem0's names (search: destination; add and get_all:
    target) and graphmem's (relation, target), side by side."""
    return {
        "source": source,
        "relationship": kind,
        "destination": target,
        "relation": kind,
        "target": target,
    }


def history_entry(change: Mapping[str, Any]) -> dict[str, Any]:
    """One change as mem0's history lists it (id, memory_id, old_memory, new_memory, event,
    created_at, updated_at, is_deleted, actor_id, role), with graphmem's actor and reason."""
    at = iso(change.get("at"))
    return {
        "id": change["id"],
        "memory_id": change["target_id"],
        "event": change["op"],
        "old_memory": change.get("old"),
        "new_memory": change.get("new"),
        "created_at": at,
        "updated_at": at,
        "is_deleted": change["op"] == "DELETE",
        "actor_id": None,
        "role": None,
        "actor": change.get("actor"),
        "reason": change.get("reason"),
    }


def attachments_in_provenance(found: dict[str, Any]) -> dict[str, Any]:
    """A search answer whose results name, in their provenance, the images they were
    extracted with (graphmem/images.py)."""
    for item in found["results"]:
        provenance = item.get("provenance")
        if item.get("attachments") and isinstance(provenance, dict):
            provenance["attachments"] = item["attachments"]
    return found


def entity(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored entity's properties as shown: timestamps ISO, internals left out."""
    return {k: iso(v) if _temporal(v) else v for k, v in row.items() if k not in _INTERNAL}


def native(value: Any) -> Any:
    """A neo4j.time value as the Python datetime/date it stands for; anything else as is."""
    return value.to_native() if hasattr(value, "to_native") else value


def utc(value: Any) -> datetime | None:
    """A stored or given moment as an aware UTC datetime (naive ones are read as UTC)."""
    value = native(value)
    if value is None:
        return None
    if not isinstance(value, datetime):  # a date: its midnight
        value = datetime(value.year, value.month, value.day)
    return aware(value).astimezone(timezone.utc)


def iso(value: Any) -> str | None:
    """ISO 8601 in UTC with "Z", the one timestamp format graphmem prints."""
    moment = utc(value)
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _temporal(value: Any) -> bool:
    return hasattr(value, "to_native") or isinstance(value, datetime)


def aware(moment: datetime) -> datetime:
    """Naive datetimes are read as UTC, as graphmem stores them."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
