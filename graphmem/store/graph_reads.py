"""Reads of the graph as a graph: a scope's entities and its relations.

Recall (store/recall_reads.py) answers questions; these reads list what is there, for the
CLI's `entities` and `relations`, and for the REST and MCP listings (the full export is
graphmem/backup.py). Timestamps leave as ISO 8601 UTC (graphmem/shapes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphmem.identifiers import entity_type, relation_type
from graphmem.models import Scope, key_in_scope
from graphmem.shapes import entity as entity_shape
from graphmem.shapes import mem0_triple
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return entity_shape(dict(row))


class GraphReads:
    """Listing and export reads over one GraphStore; every read is confined to a scope."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def entities(
        self, scope: Scope, *, type: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The scope's entities, most mentioned first: id, name, type, mentions, counts."""
        params = {
            **scope.params(),
            # Types are stored sanitised; sanitise the filter the same way.
            "type": entity_type(type) if type else None,
            "limit": limit,
            "offset": offset,
        }
        return [_plain_row(r) for r in self.store.read(query("graph/entities"), params)]

    def relations(
        self,
        scope: Scope,
        *,
        entity: str | None = None,
        type: str | None = None,
        include_invalidated: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The scope's relations (source, relation, target, fact), optionally around one
        entity or of one type; current ones only unless include_invalidated."""
        params = {
            **scope.params(),
            "key": key_in_scope(entity, scope) if entity else None,
            "type": relation_type(type) if type else None,
            "include_invalidated": include_invalidated,
            "limit": limit,
            "offset": offset,
        }
        rows = self.store.read(query("graph/relations"), params)
        return [
            {**mem0_triple(r["source"], r["relation"], r["target"]), **_plain_row(r)} for r in rows
        ]
