"""Changes to stored memories: supersession, mention bumps, the change log, delete, update.

The add path calls the `*_in` functions inside its one write transaction; delete, update and
history are whole operations of their own. Every statement lives in cypher/write or
cypher/history; nothing here builds Cypher.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import ManagedTransaction

from graphmem.errors import NotFoundError
from graphmem.models import Scope
from graphmem.store import candidates
from graphmem.store.cypher import query
from graphmem.store.neo4j import Change, GraphStore
from graphmem.store.vectors import f16_bytes


@dataclass
class Supersession:
    """`new_id` replaces `old_id`; `close` ends the old one's validity at `at` (contradiction)."""

    new_id: str
    old_id: str
    event: str
    close: bool
    at: datetime


# ---- inside the add transaction -----------------------------------------------------------


def touch_entities_in(tx: ManagedTransaction, scope: Scope, keys: Sequence[str]) -> None:
    if keys:
        params = {"scope_key": scope.key, "keys": sorted(set(keys))}
        tx.run(query("write/entity_mentions"), params).consume()


def bump_facts_in(
    tx: ManagedTransaction, scope: Scope, episode_id: str, fact_ids: Sequence[str]
) -> None:
    if fact_ids:
        params = {"scope_key": scope.key, "episode_id": episode_id, "ids": sorted(set(fact_ids))}
        tx.run(query("write/fact_mentions"), params).consume()


def supersede_in(
    tx: ManagedTransaction, scope: Scope, rows: Sequence[Supersession]
) -> list[dict[str, str]]:
    """Apply the supersessions; the relations they retired ({source, relationship, target})."""
    if not rows:
        return []
    params = {"scope_key": scope.key, "rows": [_row(r) for r in rows]}
    records = tx.run(query("write/supersede"), params)
    return [dict(rel) for record in records for rel in record["retired"]]


def log_in(tx: ManagedTransaction, scope: Scope, changes: Sequence[Change]) -> None:
    if changes:
        params = {"scope_key": scope.key, "changes": [_row(c) for c in changes]}
        tx.run(query("write/changes"), params).consume()


def lock_scope_in(
    tx: ManagedTransaction,
    scope: Scope,
    episode_id: str,
    hashes: Sequence[str] = (),
    keys: Sequence[str] = (),
    fact_ids: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Lock the scope for this transaction (registering it if new). Returns the hashes
    another writer stored meanwhile, and which of the entity keys and fact ids a decision
    rests on a delete removed meanwhile."""
    params = {
        "scope_key": scope.key,
        **scope.params(),
        "episode_id": episode_id,
        "hashes": list(hashes),
        "keys": sorted(set(keys)),
        "fact_ids": sorted(set(fact_ids)),
    }
    record = tx.run(query("write/lock_scope"), params).single()
    return (list(record["taken"]), list(record["gone"])) if record else ([], [])


def open_add_in(
    tx: ManagedTransaction,
    scope: Scope,
    episode: Mapping[str, Any] | None,
    keys: Sequence[str],
    hashes: Sequence[str],
) -> candidates.Known:
    """An add without an LLM, first statement (write/open_add): lock the scope (as
    lock_scope_in), write its episode (when given), and read what the scope holds of the
    add: the entities with these keys, the active facts with these content hashes, and how
    many entities the scope has (for the similarity read)."""
    params = {
        **candidates.known_params(scope, keys, hashes),
        **scope.params(),
        "episodes": [dict(episode)] if episode is not None else [],
        "cap": candidates.SCOPE_COUNT_CAP,
    }
    record = tx.run(query("write/open_add"), params).single()
    return candidates.known_from(record)


def lock_scopes_in(tx: ManagedTransaction, scope_keys: Sequence[str]) -> None:
    """Take the lock adds take (lock_scope_in) on each existing scope, in sorted order."""
    tx.run(query("write/lock_scopes"), {"scope_keys": sorted(set(scope_keys))}).consume()


def set_episode_status_in(
    tx: ManagedTransaction, episode_id: str, status: str, error: str | None = None
) -> None:
    params = {"id": episode_id, "status": status, "error": error}
    tx.run(query("write/episode_status"), params).consume()


# ---- whole operations ---------------------------------------------------------------------


def fact_in_scope(store: GraphStore, fact_id: str, scope: Scope | None) -> dict[str, Any]:
    """The fact's id, text, scope_key and status; NotFoundError if it is not in the scope."""
    params = {**_scope_params(scope), "id": fact_id}
    records = store.read(query("write/fact_in_scope"), params)
    if not records:
        raise NotFoundError(f"no memory with id {fact_id!r} in this scope")
    return dict(records[0])


def delete_facts(
    store: GraphStore, facts: Sequence[dict[str, Any]], *, actor: str, reason: str
) -> int:
    """Delete facts (dicts with id, text, scope_key), their relations and orphaned entities.

    One transaction, serialised with the adds of the facts' scopes (their scope lock); each
    deletion is logged (the log keeps the text, so history() still answers for a deleted
    memory). Returns how many facts were deleted.
    """
    if not facts:
        return 0
    ids = [f["id"] for f in facts]

    def work(tx: ManagedTransaction) -> int:
        # The adds' scope lock first: an add linking a new fact to an entity this delete
        # leaves orphaned would otherwise lose it halfway (EntityNotFound).
        lock_scopes_in(tx, [f["scope_key"] for f in facts])
        record = tx.run(query("write/delete_facts"), {"ids": ids}).single()
        delete_orphans_in(tx, list(record["entity_ids"]) if record else [])
        for scope_key, group in _by_scope(facts).items():
            changes = [
                Change(str(uuid.uuid4()), 0, f["id"], "DELETE", f["text"], None, actor, reason)
                for f in group
            ]
            params = {"scope_key": scope_key, "changes": [_row(c) for c in changes]}
            tx.run(query("write/changes"), params).consume()
        return len(ids)

    return store.write(work)


def facts_of_scope(store: GraphStore, scope: Scope) -> list[dict[str, Any]]:
    return [dict(r) for r in store.read(query("write/facts_of_scope"), scope.params())]


def fact_links(store: GraphStore, fact_id: str) -> dict[str, Any]:
    """A fact's content hash, validity, status, entities and current relations;
    NotFoundError when it is gone (a delete came first)."""
    found = store.read(query("write/fact_links"), {"id": fact_id})
    if not found:
        raise NotFoundError(f"no memory with id {fact_id!r}")
    return dict(found[0])


def update_fact_in(
    tx: ManagedTransaction,
    fact_id: str,
    text: str,
    content_hash: str,
    embedding: list[float],
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Replace a fact's text, hash and embedding in place; merge `metadata` (flattened
    `meta.<key>` properties) into its own."""
    params = {
        "id": fact_id,
        "text": text,
        "content_hash": content_hash,
        "embedding": embedding,
        "f16": f16_bytes(embedding),
        "metadata": dict(metadata or {}),
    }
    tx.run(query("write/update_fact"), params).consume()


def merge_metadata(store: GraphStore, fact_id: str, metadata: Mapping[str, Any]) -> None:
    """Merge flattened metadata into a fact whose text stays as it is."""
    params = {"id": fact_id, "metadata": dict(metadata)}
    store.write(lambda tx: tx.run(query("write/fact_metadata"), params).consume())


def unlink_fact_in(tx: ManagedTransaction, fact_id: str) -> list[str]:
    """Remove a fact's ABOUT links and current relations; the ids of its former entities."""
    record = tx.run(query("write/unlink_fact"), {"id": fact_id}).single()
    return list(record["entity_ids"]) if record else []


def delete_orphans_in(tx: ManagedTransaction, entity_ids: Sequence[str]) -> None:
    """Remove those of these entities that no fact is about any more."""
    if entity_ids:
        tx.run(query("write/delete_orphans"), {"ids": list(entity_ids)}).consume()


def history(store: GraphStore, fact_id: str, scope: Scope | None) -> list[dict[str, Any]]:
    """The change log of a memory and of the facts it superseded or was superseded by."""
    params = {**_scope_params(scope), "id": fact_id}
    return [dict(r["change"]) for r in store.read(query("history/memory_changes"), params)]


def episode(store: GraphStore, episode_id: str) -> dict[str, Any] | None:
    records = store.read(query("history/episode"), {"id": episode_id})
    return dict(records[0]["episode"]) if records else None


def set_episode_context(
    store: GraphStore, episode_id: str, at: datetime | None, metadata: Mapping[str, Any] | None
) -> None:
    """Keep the add's time and metadata on its episode, for reextract."""
    payload = json.dumps(dict(metadata), default=str) if metadata else None
    params = {"id": episode_id, "at": at, "metadata": payload}
    store.write(lambda tx: tx.run(query("write/episode_context"), params).consume())


def _row(item: Change | Supersession) -> dict[str, Any]:
    """A flat dataclass as a parameter row (asdict would deep-copy every string)."""
    return dict(vars(item))


def _scope_params(scope: Scope | None) -> dict[str, str | None]:
    if scope is None:
        return {"user_id": None, "agent_id": None, "run_id": None}
    return scope.params()


def _by_scope(facts: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for fact in facts:
        grouped.setdefault(fact["scope_key"], []).append(fact)
    return grouped
