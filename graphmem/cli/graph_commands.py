"""`graphmem history|entities|relations|import|export`: the graph as people read it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

import click

from graphmem.cli.backup_commands import export_document_in, restore_document
from graphmem.cli.common import (
    NotFound,
    cli_errors,
    emit_json,
    emit_lines,
    json_options,
    open_memory,
    scope_options,
    status,
)
from graphmem.cli.import_lines import import_lines, line_scope, parse_line
from graphmem.cli.tables import day, echo_table
from graphmem.errors import InputError
from graphmem.memory import Memory

TIMELINE_COLUMNS = (
    ("when", "valid_from -> valid_to"),
    ("relation", "relation"),
    ("other", "other end"),
    ("state", "state"),
    ("fact", "source fact"),
)
ENTITY_COLUMNS = (
    ("name", "name"),
    ("type", "type"),
    ("mentions", "mentions"),
    ("facts", "facts"),
    ("relations", "relations"),
    ("id", "id"),
)
RELATION_COLUMNS = (
    ("source", "source"),
    ("relation", "relation"),
    ("target", "target"),
    ("when", "valid_from -> valid_to"),
    ("fact", "source fact"),
)


# -- history ------------------------------------------------------------------


@click.command()
@click.argument("entity")
@scope_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(
    entity: str, user_id: str | None, agent_id: str | None, run_id: str | None, as_json: bool
) -> None:
    """The timeline of ENTITY: its relations with validity, and the facts they rest on."""
    with cli_errors(), open_memory() as memory:
        found = memory.entity_history(entity, user_id=user_id, agent_id=agent_id, run_id=run_id)
    if found is None:
        raise NotFound(f"no entity named {entity!r} in that scope")
    if as_json:
        emit_json(found)
        return
    name = found["entity"]["name"]
    click.echo(f"{name} ({found['entity'].get('type', 'Thing')})")
    texts = {f["id"]: f["memory"] for f in found["facts"]}
    rows = [timeline_row(name, r, texts) for r in found["relations"]]
    if rows:
        echo_table(rows, TIMELINE_COLUMNS)
    backing = {r["fact_id"] for r in found["relations"]}
    other_facts = [f for f in found["facts"] if f["id"] not in backing]
    if other_facts:
        click.echo("\nother facts:")
        for fact in other_facts:
            when = day(fact.get("valid_from") or fact.get("created_at"))
            click.echo(f"  {when}  [{fact['status']}] {fact['memory']}")


def timeline_row(name: str, rel: Mapping[str, Any], texts: Mapping[str, str]) -> dict[str, Any]:
    """One relation of the entity as a table row, the arrow showing its direction."""
    outgoing = rel["source"] == name
    return {
        "when": validity(rel),
        "relation": f"{rel['relation']} ->" if outgoing else f"<- {rel['relation']}",
        "other": rel["target"] if outgoing else rel["source"],
        "state": rel["state"],
        "fact": texts.get(rel["fact_id"], rel["fact_id"]),
    }


def validity(rel: Mapping[str, Any]) -> str:
    """valid_from -> valid_to as dates; one without valid_to holds until "now". A relation
    stored without valid_from (before graphmem kept one) counts from when it was recorded,
    unless that came after its end: then its start is unknown ("?"), never after the end."""
    end = rel.get("valid_to")
    start = rel.get("valid_from")
    if start is None:
        recorded = rel.get("created_at")
        start = recorded if recorded and (end is None or recorded <= end) else None
    return f"{day(start) if start else '?'} -> {day(end) if end else 'now'}"


# -- listings -----------------------------------------------------------------


@click.command()
@scope_options
@click.option("--type", "entity_type", help="Only entities of this type (e.g. Person).")
@click.option("--limit", default=100, show_default=True, help="At most this many.")
@click.option("--offset", default=0, show_default=True, help="Skip this many first.")
@json_options
def entities(
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    entity_type: str | None,
    limit: int,
    offset: int,
    as_json: bool,
    nl: bool,
) -> None:
    """List the scope's entities, most mentioned first."""
    with cli_errors(), open_memory() as memory:
        found = memory.entities(
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            type=entity_type,
            limit=limit,
            offset=offset,
        )
    _emit_listing(found, ENTITY_COLUMNS, as_json=as_json, nl=nl, empty="no entities found")


@click.command()
@scope_options
@click.option("--entity", help="Only relations touching this entity.")
@click.option("--type", "relation_type", help="Only relations of this type (e.g. LIVES_IN).")
@click.option("--all", "include_invalidated", is_flag=True, help="Include superseded relations.")
@click.option("--limit", default=100, show_default=True, help="At most this many.")
@click.option("--offset", default=0, show_default=True, help="Skip this many first.")
@json_options
def relations(
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    entity: str | None,
    relation_type: str | None,
    include_invalidated: bool,
    limit: int,
    offset: int,
    as_json: bool,
    nl: bool,
) -> None:
    """List the scope's relations between entities, with the fact each rests on."""
    with cli_errors(), open_memory() as memory:
        found = memory.relations(
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            entity=entity,
            type=relation_type,
            include_invalidated=include_invalidated,
            limit=limit,
            offset=offset,
        )
    if as_json or nl:
        _emit_listing(found, RELATION_COLUMNS, as_json=as_json, nl=nl, empty="")
        return
    rows = {"results": [{**r, "when": validity(r)} for r in found["results"]]}
    _emit_listing(rows, RELATION_COLUMNS, as_json=False, nl=False, empty="no relations found")


def _emit_listing(
    found: Mapping[str, list[dict[str, Any]]],
    columns: tuple[tuple[str, str], ...],
    *,
    as_json: bool,
    nl: bool,
    empty: str,
) -> None:
    """A listing as the API returns it ({"results": [...]}) with --json, one result per
    line with --nl, else as a table."""
    if as_json:
        emit_json(found)
    elif nl:
        emit_lines(found["results"])
    elif not found["results"]:
        status(empty)
    else:
        echo_table(found["results"], columns)


# -- import -------------------------------------------------------------------


@click.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@scope_options
@click.option("--no-infer", is_flag=True, help="Store messages as facts as they are (no LLM).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def import_command(
    source: IO[str],
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    no_infer: bool,
    as_json: bool,
) -> None:
    """Import conversations from SOURCE, a JSONL file (`-` for stdin), one per line.

    A line is a list of messages, or an object with "messages" (or pre-extracted "facts"),
    and optionally "user_id", "agent_id", "run_id", "metadata", "timestamp". Scope ids on
    a line win over --user/--agent/--run (and must be strings). Messages may carry their
    own "timestamp"; facts are valid from when they were said. Each bad line is reported
    with its number and reason and skipped; the summary counts them and the exit code is 1
    when any failed. A failing Neo4j stops the run (the summary says where).

    A file `graphmem export` or `graphmem backup` wrote (JSON or GraphML) is recognised
    and restored as it was (`graphmem restore`): into --user/--agent/--run when given (a
    copy), else into the scopes it came from.
    """
    default_scope = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    text = source.read()
    document = export_document_in(text)
    if document is not None:  # `graphmem export` / `backup` output: restore it
        restore_document(document, default_scope, as_json=as_json)
        return
    lines = text.split("\n")  # not splitlines(): JSON text may hold U+2028 and the like
    with cli_errors(), open_memory() as memory:
        bar = click.progressbar(
            lines, label="importing", file=sys.stderr, show_pos=True, item_show_func=None
        )
        with bar:
            report = import_lines(
                bar,
                lambda line: import_line(memory, line, default_scope, infer=not no_infer),
                lambda number, reason: status(f"\nline {number}: {reason}"),
            )
    if as_json:
        emit_json(report.summary())
    else:
        click.echo(report.sentence())
    if report.failures:
        sys.exit(1)


def import_line(
    memory: Memory, line: str, default_scope: Mapping[str, str | None], *, infer: bool
) -> dict[str, Any]:
    """Add one JSONL line: a conversation (through add) or pre-extracted facts (add_facts)."""
    record = parse_line(line)
    scope = line_scope(record, default_scope)
    metadata = record.get("metadata")
    # When the line's facts or messages were said: they are valid from then, not from now
    # (Memory checks it as it checks every timestamp: inputs.moment).
    timestamp = record.get("timestamp")
    if "facts" in record:
        return memory.add_facts(record["facts"], metadata=metadata, timestamp=timestamp, **scope)
    if "messages" not in record:
        raise InputError('a line needs "messages" or "facts"')
    return memory.add(
        record["messages"], metadata=metadata, infer=infer, timestamp=timestamp, **scope
    )
