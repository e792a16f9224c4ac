"""`graphmem upgrade`: write what this graphmem reads and an older one did not write.

- Each fact's float16 copy of its vector (store/vectors.py), which recall scores large
  scopes from. A store written before the copies existed answers searches as before
  without them (recall reads those facts' vectors on the server), only slower; upgrading
  fills them in batches, each its own transaction, so a killed run loses at most one batch
  and the next run goes on with the facts still without a copy.
- Each scope's relation vocabulary (RelationWords, graphmem/vocabulary.py), for scopes
  with relations and none: without it recall matches a question's words against the
  relation types' own names only. One transaction per scope, under its lock.

Both are safe beside live traffic, and a second run finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neo4j import ManagedTransaction

from graphmem.models import Scope
from graphmem.store import changes
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore
from graphmem.store.vectors import f16_bytes
from graphmem.vocabulary import rebuild_in

DEFAULT_BATCH_SIZE = 1000


def copies_missing(store: GraphStore) -> bool:
    """Whether any fact lacks its float16 copy (reads facts until one does: on a store
    that needs no upgrade, every fact)."""
    params = {"after": "", "batch_size": 1}
    return bool(store.read(query("upgrade/facts_without_f16"), params))


def fill_f16_copies(
    store: GraphStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    report: Callable[[int], None] | None = None,
) -> int:
    """Write the float16 copy of every fact that lacks one; returns how many were written.
    `report` is called with the running count after each batch."""
    written, after = 0, ""
    while True:
        params = {"after": after, "batch_size": batch_size}
        rows = store.read(query("upgrade/facts_without_f16"), params)
        if not rows:
            return written
        written += store.write(lambda tx, r=rows: _write(tx, r))
        after = rows[-1]["id"]
        if report is not None:
            report(written)


def _write(tx: ManagedTransaction, rows: list[Any]) -> int:
    copies = [{"id": r["id"], "f16": f16_bytes(r["vector"]), "stamp": r["stamp"]} for r in rows]
    record = tx.run(query("upgrade/write_f16"), {"rows": copies}).single()
    return int(record["written"]) if record else 0


def scopes_without_vocabulary(store: GraphStore) -> list[Scope]:
    """The scopes that hold relations and no relation vocabulary."""
    return [
        Scope(user_id=r["user_id"], agent_id=r["agent_id"], run_id=r["run_id"])
        for r in store.read(query("vocabulary/scopes_without"), {})
    ]


def fill_vocabularies(store: GraphStore, report: Callable[[Scope, int], None] | None = None) -> int:
    """Rebuild the relation vocabulary of every scope that has relations and none, one
    transaction per scope under its lock (adds meanwhile wait, then append to it). Returns
    how many scopes; `report` is called with each scope and its count of relation types."""
    rebuilt = 0
    for scope in scopes_without_vocabulary(store):
        types = store.write(lambda tx, scope=scope: _rebuild_locked(tx, scope))
        rebuilt += 1
        if report is not None:
            report(scope, types)
    return rebuilt


def _rebuild_locked(tx: ManagedTransaction, scope: Scope) -> int:
    changes.lock_scope_in(tx, scope, "upgrade")
    return rebuild_in(tx, scope)
