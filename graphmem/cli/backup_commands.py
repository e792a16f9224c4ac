"""`graphmem export|backup|restore`: a scope's graph out to a file, and back in.

The file is graphmem's export document (graphmem/backup.py): networkx node-link JSON, or
the same graph as GraphML for Gephi, yEd and Cytoscape. `graphmem import` recognises both
and restores them too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import click
import networkx as nx

from graphmem.backup import is_export
from graphmem.cli.common import cli_errors, emit_json, open_memory, scope_options, status

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Properties GraphML cannot hold as lists: written as JSON text, read back as lists.
_LIST_PROPERTIES = frozenset({"labels", "aliases"})


# -- export / backup -------------------------------------------------------------------


@click.command()
@scope_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "graphml"]),
    default="json",
    show_default=True,
    help="node-link JSON (networkx) or GraphML (Gephi, yEd, Cytoscape).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
def export(
    user_id: str | None, agent_id: str | None, run_id: str | None, fmt: str, output: Path | None
) -> None:
    """Export the scope's graph: entities, facts (with their history), episodes, change
    log, and the relations among them; no embeddings. `graphmem import` reads it back."""
    with cli_errors(), open_memory() as memory:
        document = memory.export_graph(user_id=user_id, agent_id=agent_id, run_id=run_id)
    _write(document, fmt, output)


@click.command()
@scope_options
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
def backup(
    user_id: str | None, agent_id: str | None, run_id: str | None, output: Path | None
) -> None:
    """Back up one scope, or with no --user/--agent/--run every scope in the database, as
    an export document (JSON). `graphmem restore` writes it back."""
    with cli_errors(), open_memory() as memory:
        document = memory.backup(user_id=user_id, agent_id=agent_id, run_id=run_id)
    _write(document, "json", output)


def _write(document: Mapping[str, Any], fmt: str, output: Path | None) -> None:
    status(f"{len(document['nodes'])} nodes, {len(document['edges'])} edges")
    if fmt == "graphml":
        graph = graph_for_graphml(nx.node_link_graph(document, edges="edges"))
        text = "\n".join(nx.generate_graphml(graph)) + "\n"
    else:
        text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        status(f"wrote {output}")


def graph_for_graphml(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GraphML holds scalars only: lists become JSON text, labels ":Entity:Person"."""
    out = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        out.add_node(node, **{k: _scalar(k, v) for k, v in data.items()})
    for source, target, key, data in graph.edges(keys=True, data=True):
        out.add_edge(source, target, key=key, **{k: _scalar(k, v) for k, v in data.items()})
    return out


def _scalar(key: str, value: Any) -> Any:
    if key == "labels":
        return "".join(f":{label}" for label in value)
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        # XML 1.0 cannot hold control characters.
        return _XML_UNSAFE.sub(" ", value)
    return value


# -- restore ---------------------------------------------------------------------------


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"))
@scope_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def restore(
    source: IO[str], user_id: str | None, agent_id: str | None, run_id: str | None, as_json: bool
) -> None:
    """Restore SOURCE, a file `graphmem export` or `backup` wrote (JSON or GraphML; `-` for
    stdin): into --user/--agent/--run when given (a copy, with new ids), else each part
    into the scope it came from. Running it twice writes one copy."""
    document = export_document_in(source.read())
    if document is None:
        raise click.UsageError("SOURCE is not a graphmem export (JSON or GraphML)")
    restore_document(
        document, {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}, as_json=as_json
    )


def export_document_in(text: str) -> dict[str, Any] | None:
    """The export document a file holds (node-link JSON or GraphML), or None when the file
    is something else (a JSONL conversation file)."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        try:
            graph = nx.parse_graphml(stripped, force_multigraph=True)
        except (nx.NetworkXError, ValueError, SyntaxError):
            return None
        return _from_graphml(graph)
    if not stripped.startswith("{"):
        return None
    try:
        document = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return None  # a JSONL file whose first line is an object (import checks each line)
    return document if is_export(document) else None


def _from_graphml(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """graph_for_graphml undone: labels and other lists from their text form."""
    restored = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        restored.add_node(node, **{k: _listed(k, v) for k, v in data.items()})
    for source, target, key, data in graph.edges(keys=True, data=True):
        restored.add_edge(source, target, key=key, **data)
    return dict(nx.node_link_data(restored, edges="edges"))


def _listed(key: str, value: Any) -> Any:
    if key == "labels" and isinstance(value, str):
        return [label for label in value.split(":") if label]
    listed = key in _LIST_PROPERTIES or key.startswith("meta.")
    if listed and isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def restore_document(
    document: Mapping[str, Any], scope: Mapping[str, str | None], *, as_json: bool
) -> None:
    """Restore a document into `scope` (or its own scopes when no id is given)."""
    with cli_errors(), open_memory() as memory:
        summary = memory.restore(document, **scope)
    if as_json:
        emit_json(summary)
        return
    click.echo(
        f"restored {summary['facts']} facts, {summary['entities']} entities, "
        f"{summary['relations']} relations, {summary['changes']} change-log entries and "
        f"{summary['episodes']} episodes into {summary['scopes']} scope(s)"
    )
