"""Reads of the graph as a graph: a scope's entities, its relations, and a full export.

Recall (store/recall_reads.py) answers questions; these reads list what is there, for the
CLI's `entities`, `relations` and `export`, and for the REST and MCP listings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphmem.identifiers import entity_type, relation_type
from graphmem.models import Scope, entity_key
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore


def plain(value: Any) -> Any:
    """A Neo4j value as JSON-ready Python: temporal values become ISO text."""
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in row.items()}


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
            "key": entity_key(entity) if entity else None,
            "type": relation_type(type) if type else None,
            "include_invalidated": include_invalidated,
            "limit": limit,
            "offset": offset,
        }
        return [_plain_row(r) for r in self.store.read(query("graph/relations"), params)]

    def export(self, scope: Scope) -> dict[str, list[dict[str, Any]]]:
        """Every entity and fact of the scope and the edges among them, embeddings left out:
        {"nodes": [{id, labels, properties}], "edges": [{source, target, type, properties}]}."""
        params = scope.params()
        nodes = [
            {
                "id": r["id"],
                "labels": sorted(r["labels"]),
                "properties": {k: plain(v) for k, v in r["props"].items() if v is not None},
            }
            for r in self.store.read(query("graph/export_nodes"), params)
        ]
        edges = [
            {
                "source": r["source"],
                "target": r["target"],
                "type": r["type"],
                "properties": {k: plain(v) for k, v in r["props"].items() if v is not None},
            }
            for r in self.store.read(query("graph/export_edges"), params)
        ]
        return {"nodes": nodes, "edges": edges}
