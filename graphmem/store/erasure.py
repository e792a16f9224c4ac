"""Erasure: every trace of a scope removed, in batches, and a record of it without personal data.

What goes: facts of any status (superseded history included), entities and the relations
between them, episodes with their raw messages, the change log (old and new texts) and the
Scope records that hold the ids. Each batch is one write transaction under the scopes' lock
(the lock adds and deletes take), so no add or delete of the scope interleaves with one.

An erasure with a requester leaves an (:Erasure) record: when, who asked, how many of each
kind were removed, and a salted SHA-256 of the scope asked for. The record names no id and
holds no text; the hash confirms an erasure only to someone who already knows the scope
(erasures(scope=...)). reset() is the same removal without a record.

Neo4j keeps the bytes of deleted data in its transaction logs until they rotate out
(`db.tx_log.rotation.retention_policy`), as any database's write-ahead log does.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import Counter
from typing import Any

from neo4j import ManagedTransaction

from graphmem.models import Scope
from graphmem.shapes import iso
from graphmem.store.changes import lock_scopes_in
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore

BATCH = 2000
COUNTED = ("relations", "facts", "superseded_facts", "entities", "episodes", "changes", "scopes")
SCOPE_FIELDS = ("user_id", "agent_id", "run_id")


def erase(
    store: GraphStore, scope: Scope | None, *, requester: str | None = None
) -> dict[str, Any]:
    """Remove everything of the scopes `scope` names (a partial scope names several; None
    names every scope: reset(all_scopes=True), never with a record).

    Returns the counts of what went; with a requester, the erasure record written with them
    (its id, hash, salt, requester and time besides the counts)."""
    if scope is None and requester is not None:
        raise ValueError("an erasure with a record names its scope")
    params = scope.params() if scope is not None else dict.fromkeys(SCOPE_FIELDS)
    keys = [r["key"] for r in store.read(query("admin/scope_keys"), params)]
    totals: Counter[str] = Counter(dict.fromkeys(COUNTED, 0))
    while True:
        removed, record = store.write(
            lambda tx, so_far=dict(totals): _step(tx, keys, scope, requester, so_far)
        )
        totals.update(removed)
        if record is not None:
            return record
        if "scopes" in removed:  # the last step ran
            return dict(totals)


def erasures(store: GraphStore, scope: Scope | None = None) -> list[dict[str, Any]]:
    """The erasure records, newest first; with a scope, only those of exactly that request."""
    found = [_shown(dict(r["erasure"])) for r in store.read(query("admin/erasures"), {})]
    if scope is None:
        return found
    return [e for e in found if scope_hash(scope, e["salt"]) == e["scope_hash"]]


def scope_hash(scope: Scope, salt: str) -> str:
    """The salted hash an erasure record keeps of the scope asked for."""
    return hashlib.sha256(f"{salt}\x1f{scope.key}".encode()).hexdigest()


def _step(
    tx: ManagedTransaction,
    keys: list[str],
    scope: Scope | None,
    requester: str | None,
    so_far: dict[str, int],
) -> tuple[dict[str, int], dict[str, Any] | None]:
    """One transaction under the scopes' lock: remove a batch; when there was nothing left
    to remove (so no add slipped in since the last batch either), remove the Scope records
    and, with a requester, write the erasure record: it commits with the last removal."""
    removed: dict[str, int] = {}
    if keys:
        lock_scopes_in(tx, keys)
        row = tx.run(query("admin/erase_batch"), {"scope_keys": keys, "batch": BATCH}).single()
        removed = {kind: int(row[kind]) for kind in COUNTED[:-1]} if row else {}
        if any(removed.values()):
            return removed, None
        scopes = tx.run(query("admin/erase_scopes"), {"scope_keys": keys}).single()
        removed["scopes"] = int(scopes["scopes"]) if scopes else 0
    else:
        removed["scopes"] = 0
    if requester is None or scope is None:
        return removed, None
    salt = secrets.token_hex(16)
    record = {
        "id": str(uuid.uuid4()),
        "scope_hash": scope_hash(scope, salt),
        "salt": salt,
        "scope_fields": [name for name in SCOPE_FIELDS if scope.params()[name] is not None],
        "requester": requester,
        **{kind: so_far.get(kind, 0) + removed.get(kind, 0) for kind in COUNTED},
    }
    written = tx.run(query("admin/erasure_record"), {"record": record}).single()
    return removed, _shown(dict(written["erasure"])) if written else record


def _shown(record: dict[str, Any]) -> dict[str, Any]:
    """A record as it leaves graphmem: its time ISO 8601 in UTC, like every timestamp."""
    return {**record, "at": iso(record.get("at"))}
