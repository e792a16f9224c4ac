"""Backup, restore and copy of scopes: graphmem's export document, and its way back in.

The document is networkx's node-link JSON (what `graphmem export` writes, what
`nx.node_link_graph(doc, edges="edges")` reads): {"directed", "multigraph", "graph",
"nodes": [{id, labels, ...properties}], "edges": [{source, target, key, type,
...properties}]}. Nodes are a scope's entities, facts of every status, episodes (the raw
messages) and change-log entries; edges are the typed relations between entities (retired
ones as WAS), ABOUT, SUPERSEDES and FROM. Timestamps are ISO 8601 UTC; embeddings and the
internal scope key are left out (restore embeds again). "graph" names the format and its
version, so `graphmem import` can tell an export from a JSONL conversation file.

Restoring writes the nodes and edges back with the properties they had (validity, record
times, status, change log, metadata), not through resolution: a backup is history, not
news; each scope written gets its relation vocabulary rebuilt from its graph
(graphmem/vocabulary.py). Into the scope a node came from, ids are kept; into another scope
(a copy), ids are derived from the target scope and the old id, so a document restores into
one scope once however often it is imported. Everything from the file is checked as outside
input: labels and relation types through graphmem/identifiers.py, metadata through
graphmem/metadata.py, other properties from an allow-list per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from neo4j import ManagedTransaction

from graphmem import identifiers, inputs, vocabulary
from graphmem.embed import Embedder
from graphmem.errors import InputError
from graphmem.metadata import flatten, unflatten
from graphmem.models import SELF_KEY, Scope, entity_key
from graphmem.shapes import iso
from graphmem.store import changes
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore, Vector
from graphmem.store.vectors import VECTOR_PROPERTIES, f16_bytes
from graphmem.writer import content_hash, stable_id

FORMAT = "graphmem-export"
VERSION = 1
KINDS = ("Entity", "Fact", "Episode", "Change")
SCOPE_IDS = ("user_id", "agent_id", "run_id")
TEMPORAL = frozenset(
    {"valid_from", "valid_to", "observed_at", "created_at", "updated_at", "invalidated_at"}
    | {"at", "occurred_at"}
)
# The properties a restore takes over, per kind; anything else in a file is dropped.
PROPERTIES: dict[str, frozenset[str]] = {
    "Entity": frozenset({"name", "type", "mentions", "aliases", "created_at", "updated_at"}),
    "Fact": frozenset(
        {"text", "status", "valid_from", "valid_to", "observed_at", "created_at", "updated_at"}
        | {"invalidated_at", "prompt_version", "model", "mentions", "superseded_by"}
    ),
    "Episode": frozenset(
        {"messages", "status", "infer", "created_at", "updated_at", "occurred_at", "metadata"}
        | {"error"}
    ),
    "Change": frozenset(
        {"seq", "target_id", "op", "old", "new", "at", "actor", "reason", "episode_id"}
    ),
}
RELATION_PROPERTIES = frozenset(
    {"fact_id", "episode_id", "valid_from", "valid_to", "created_at", "invalidated_at"}
    | {"relation"}
)
SUPERSEDES_PROPERTIES = frozenset({"event", "created_at"})
# Properties holding the id of another node (rewritten when ids change).
ID_PROPERTIES = frozenset({"superseded_by", "target_id", "episode_id", "fact_id"})
# Graph-level fields of the document that are not its nodes or edges.
_NODE_LINK_KEYS = frozenset({"id", "labels"})
_EDGE_LINK_KEYS = frozenset({"source", "target", "key", "type"})


# ---- export --------------------------------------------------------------------------------


def export_document(store: GraphStore, scope: Scope | None) -> dict[str, Any]:
    """The node-link document of one (partial) scope, or of every scope (None)."""
    params = scope.params() if scope is not None else dict.fromkeys(SCOPE_IDS)
    nodes = [
        {
            "id": r["id"],
            "labels": sorted(r["labels"]),
            **_shown(r["props"], drop={"id", "scope_key", *VECTOR_PROPERTIES}),
        }
        for r in store.read(query("graph/export_nodes"), params)
    ]
    edges = [
        {
            "source": r["source"],
            "target": r["target"],
            "key": r["type"],
            "type": r["type"],
            **_shown(r["props"], drop=set()),
        }
        for r in store.read(query("graph/export_edges"), params)
    ]
    graph = {"format": FORMAT, "version": VERSION, "exported_at": iso(datetime.now(timezone.utc))}
    return {"directed": True, "multigraph": True, "graph": graph, "nodes": nodes, "edges": edges}


def _shown(props: Mapping[str, Any], drop: set[str]) -> dict[str, Any]:
    return {
        k: iso(v) if k in TEMPORAL else v
        for k, v in props.items()
        if v is not None and k not in drop
    }


def is_export(document: Any) -> bool:
    """True for a document shaped like graphmem's export (node-link JSON)."""
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("nodes"), list)
        and isinstance(document.get("edges"), list)
    )


# ---- restore -------------------------------------------------------------------------------


@dataclass
class _Node:
    kind: str
    old_id: str
    props: dict[str, Any]
    source: Scope
    target: Scope
    new_id: str = ""


@dataclass
class _Rows:
    """What one target scope receives: the parameters of write/restore."""

    scope: Scope
    episodes: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    about: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    supersedes: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)


def restore(
    store: GraphStore, embedder: Embedder, document: Any, target: Scope | None
) -> dict[str, int]:
    """Write an export document back: into `target`, or each node into its own scope.

    One transaction per target scope. Returns counts of what was written. Raises
    InputError (nothing written) when the document is not a graphmem export or holds a
    node or edge that cannot be restored.
    """
    if not is_export(document):
        raise InputError('not a graphmem export: a JSON object with "nodes" and "edges" lists')
    nodes = _nodes(document["nodes"], target)
    by_old = {node.old_id: node for node in nodes}
    _assign_ids(nodes)
    groups: dict[str, _Rows] = {}
    for node in nodes:
        rows = groups.setdefault(node.target.key, _Rows(node.target))
        _add_node(rows, node, by_old)
    for number, edge in enumerate(document["edges"]):
        _add_edge(groups, edge, by_old, number)
    summary = dict.fromkeys(["scopes", "facts", "entities", "relations", "episodes"], 0)
    summary["changes"] = 0
    for rows in groups.values():
        _embed(embedder, rows)
        written = store.write(lambda tx, rows=rows: _write(tx, rows))
        summary["scopes"] += 1
        for name in ("facts", "entities", "relations", "episodes", "changes"):
            summary[name] += written[name]
    return summary


def _nodes(raw: Sequence[Any], target: Scope | None) -> list[_Node]:
    nodes = []
    for number, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise InputError(f"node {number}: an object with a string id is needed")
        labels = item.get("labels") or []
        kind = next((k for k in KINDS if k in labels), None)
        if kind is None:
            raise InputError(f"node {number}: labels {labels!r} name none of {', '.join(KINDS)}")
        ids = {k: item.get(k) for k in SCOPE_IDS}
        try:
            source = inputs.scope(**ids)
        except InputError as exc:
            raise InputError(f"node {number}: {exc}") from None
        props = {k: v for k, v in item.items() if k not in _NODE_LINK_KEYS}
        nodes.append(_Node(kind, item["id"], props, source, target or source))
    return nodes


def _assign_ids(nodes: Iterable[_Node]) -> None:
    """Ids kept within their own scope, derived from the target scope elsewhere; an entity's
    id is the write path's (scope key + entity key)."""
    for node in nodes:
        if node.kind == "Entity":
            node.new_id = stable_id(node.target.key, _text(node, "key"))
        elif node.target.key == node.source.key:
            node.new_id = node.old_id
        else:
            node.new_id = stable_id(node.target.key, node.old_id)


def _add_node(rows: _Rows, node: _Node, by_old: Mapping[str, _Node]) -> None:
    props = _checked(node, by_old)
    scope_props = {"scope_key": rows.scope.key, **rows.scope.params()}
    if node.kind == "Entity":
        kind = identifiers.entity_type(str(node.props.get("type") or "Thing"))
        props |= {"type": kind, "name": _text(node, "name")}
        if _text(node, "key") == SELF_KEY and node.source.key != node.target.key:
            props |= _copied_self(props, node.source, node.target)
        rows.entities.append(
            {"id": node.new_id, "key": _text(node, "key"), "type": kind, "props": props}
        )
        rows.entities[-1]["props"] |= scope_props
    elif node.kind == "Fact":
        text = _text(node, "text")
        props |= {**scope_props, "content_hash": content_hash(text), **_metadata(node)}
        rows.facts.append({"id": node.new_id, "props": props})
    elif node.kind == "Episode":
        rows.episodes.append({"id": node.new_id, "props": props | scope_props})
    else:
        props["scope_key"] = rows.scope.key
        rows.changes.append({"id": node.new_id, "props": props})


def _copied_self(props: Mapping[str, Any], source: Scope, target: Scope) -> dict[str, Any]:
    """The name and aliases of a copy's self entity: the target scope's user, not the
    source's. A name taken from the source's ids (no message named the user) becomes the
    target's, and the source's user_id stops being an alias, or a mention of it in the copy
    would resolve to the copy's own user. A name the messages gave is the user's and stays."""
    name = target.first_id if props["name"] == source.first_id else props["name"]
    dropped = entity_key(source.user_id) if source.user_id else None
    aliases = {a for a in props.get("aliases", []) if a != dropped}
    if target.user_id:
        aliases.add(entity_key(target.user_id))
    # None removes the property (write/restore sets `e += props`), as an add stores none.
    return {"name": name, "aliases": sorted(aliases) or None}


def _checked(node: _Node, by_old: Mapping[str, _Node]) -> dict[str, Any]:
    """The node's allowed properties: times parsed, ids of other nodes rewritten."""
    allowed = PROPERTIES[node.kind]
    props = {}
    for name, value in node.props.items():
        if name not in allowed or value is None:
            continue
        props[name] = _value(node, name, value, by_old)
    if node.kind == "Change" and isinstance(props.get("reason"), str):
        props["reason"] = _rewrite_ids(props["reason"], by_old)
    return props


def _value(node: _Node, name: str, value: Any, by_old: Mapping[str, _Node]) -> Any:
    if name in TEMPORAL:
        return inputs.moment(value, f"{node.kind} {node.old_id}: {name}")
    if name in ID_PROPERTIES and isinstance(value, str) and value in by_old:
        return by_old[value].new_id
    if name == "aliases":
        return [str(v) for v in value] if isinstance(value, list) else []
    if isinstance(value, (dict, list)):
        raise InputError(f"{node.kind} {node.old_id}: {name} must be a plain value")
    return value


def _metadata(node: _Node) -> dict[str, Any]:
    """The fact's metadata, validated as add() validates it."""
    try:
        return flatten(unflatten(node.props))
    except InputError as exc:
        raise InputError(f"Fact {node.old_id}: {exc}") from None


def _add_edge(
    groups: Mapping[str, _Rows], edge: Any, by_old: Mapping[str, _Node], number: int
) -> None:
    if not isinstance(edge, Mapping):
        raise InputError(f"edge {number}: not an object")
    source, target = by_old.get(edge.get("source")), by_old.get(edge.get("target"))
    if source is None or target is None:
        raise InputError(f"edge {number}: its source or target is not a node of the document")
    rows = groups[source.target.key]
    kind = str(edge.get("type") or edge.get("key") or "")
    if source.kind == "Fact" and target.kind == "Entity" and kind == "ABOUT":
        rows.about.append({"fact_id": source.new_id, "key": _text(target, "key")})
    elif source.kind == "Fact" and target.kind == "Fact" and kind == "SUPERSEDES":
        props = {k: edge[k] for k in SUPERSEDES_PROPERTIES if edge.get(k) is not None}
        if "created_at" in props:
            props["created_at"] = inputs.moment(props["created_at"], f"edge {number}: created_at")
        rows.supersedes.append({"new_id": source.new_id, "old_id": target.new_id, "props": props})
    elif source.kind == "Fact" and target.kind == "Episode" and kind == "FROM":
        rows.sources.append({"fact_id": source.new_id, "episode_id": target.new_id})
    elif source.kind == "Entity" and target.kind == "Entity":
        rows.relations.append(_relation(edge, kind, source, target, by_old, number))
    else:
        raise InputError(f"edge {number}: {kind!r} from {source.kind} to {target.kind} is unknown")


def _relation(
    edge: Mapping[str, Any],
    kind: str,
    source: _Node,
    target: _Node,
    by_old: Mapping[str, _Node],
    number: int,
) -> dict[str, Any]:
    where = f"edge {number}"
    props: dict[str, Any] = {}
    for name in RELATION_PROPERTIES:
        value = edge.get(name)
        if value is None:
            continue
        if name in TEMPORAL:
            value = inputs.moment(value, f"{where}: {name}")
        elif name in ID_PROPERTIES and isinstance(value, str) and value in by_old:
            value = by_old[value].new_id
        props[name] = value
    if not isinstance(props.get("fact_id"), str):
        raise InputError(f"{where}: a relation needs the fact_id it rests on")
    if kind == identifiers.HISTORY_RELATION:
        props["relation"] = identifiers.relation_type(str(props.get("relation") or ""))
        safe = kind
    else:
        props.pop("relation", None)
        safe = identifiers.relation_type(kind)
    return {
        "source_key": _text(source, "key"),
        "type": safe,
        "target_key": _text(target, "key"),
        "fact_id": props.pop("fact_id"),
        "props": props,
    }


def _text(node: _Node, name: str) -> str:
    value = node.props.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{node.kind} {node.old_id}: {name} must be a non-empty string")
    return value


def _rewrite_ids(text: str, by_old: Mapping[str, _Node]) -> str:
    """Ids named in a change's reason ("CONTRADICTS by <id>"), as they are now."""
    for old, node in by_old.items():
        if old in text and node.new_id != old:
            text = text.replace(old, node.new_id)
    return text


def _embed(embedder: Embedder, rows: _Rows) -> None:
    texts = [f["props"]["text"] for f in rows.facts] + [e["props"]["name"] for e in rows.entities]
    vectors = embedder.embed(texts) if texts else []
    for row, vector in zip([*rows.facts, *rows.entities], vectors, strict=True):
        row["embedding"] = Vector(vector)
    for row in rows.facts:
        row["f16"] = f16_bytes(row["embedding"])


def _write(tx: ManagedTransaction, rows: _Rows) -> dict[str, int]:
    changes.lock_scope_in(tx, rows.scope, "restore", [])
    params = {
        "scope_key": rows.scope.key,
        "episodes": rows.episodes,
        "entities": rows.entities,
        "facts": rows.facts,
        "changes": rows.changes,
        "about": rows.about,
        "relations": rows.relations,
        "supersedes": rows.supersedes,
        "sources": rows.sources,
    }
    record = tx.run(query("write/restore"), params).single()
    # write/restore writes relations, not the words recall matches questions against.
    vocabulary.rebuild_in(tx, rows.scope)
    return {k: int(v) for k, v in dict(record).items()} if record else {}
