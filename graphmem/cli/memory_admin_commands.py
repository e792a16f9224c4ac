"""`graphmem get|list|update|delete|log|reextract|forget|erasures`: one memory at a time
and its change log, a scope's list, or a whole scope erased with a record.

Exit codes: 0 done, 1 error (Neo4j down, the LLM failing...), 2 usage error (bad input
included), 3 not found.
"""

from __future__ import annotations

import json

import click

from graphmem.cli.common import (
    NotFound,
    cli_errors,
    emit_json,
    emit_lines,
    json_options,
    open_memory,
    parse_json_option,
    scope_label,
    scope_options,
    status,
)
from graphmem.cli.tables import day, echo_table

LIST_COLUMNS = (
    ("id", "id"),
    ("memory", "memory"),
    ("entities", "entities"),
    ("status", "status"),
    ("created", "created"),
)


@click.command()
@click.argument("memory_id")
@scope_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def get(
    memory_id: str, user_id: str | None, agent_id: str | None, run_id: str | None, as_json: bool
) -> None:
    """Show one memory by id (within the scope, when one is given)."""
    with cli_errors(), open_memory() as memory:
        item = memory.get(memory_id, user_id=user_id, agent_id=agent_id, run_id=run_id)
    if item is None:
        raise NotFound(f"no memory with id {memory_id!r} in that scope")
    if as_json:
        emit_json(item)
        return
    for key in ("id", "memory", "status", "user_id", "agent_id", "run_id", "entities"):
        value = item.get(key)
        if value not in (None, [], ""):
            click.echo(f"{key:<11} {', '.join(value) if isinstance(value, list) else value}")
    for key in ("valid_from", "valid_to", "created_at", "updated_at"):
        if item.get(key):
            click.echo(f"{key:<11} {item[key]}")
    if item.get("metadata"):
        click.echo(f"{'metadata':<11} {json.dumps(item['metadata'], ensure_ascii=False)}")


@click.command("list")
@scope_options
@click.option("--filter", "filters", help='mem0 filter as JSON, e.g. \'{"room_id": "proj-42"}\'.')
@click.option("--limit", default=100, show_default=True, help="At most this many.")
@click.option("--offset", default=0, show_default=True, help="Skip this many first.")
@click.option("--all", "include_superseded", is_flag=True, help="Include superseded memories.")
@json_options
def list_memories(
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    filters: str | None,
    limit: int,
    offset: int,
    include_superseded: bool,
    as_json: bool,
    nl: bool,
) -> None:
    """List the scope's memories, newest first."""
    where = parse_json_option(filters, "--filter")
    with cli_errors(), open_memory() as memory:
        listed = memory.get_all(
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            filters=where,
            limit=limit,
            offset=offset,
            include_superseded=include_superseded,
        )
    found = listed["results"]
    if as_json:
        emit_json(listed)
    elif nl:
        emit_lines(found)
    elif not found:
        status("no memories found")
    else:
        rows = [
            {**m, "entities": ", ".join(m.get("entities", [])), "created": day(m["created_at"])}
            for m in found
        ]
        echo_table(rows, LIST_COLUMNS)


@click.command()
@click.argument("memory_id")
@click.argument("text")
@scope_options
@click.option(
    "--no-infer",
    is_flag=True,
    help="No LLM: keep the relations whose both ends TEXT still names.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def update(
    memory_id: str,
    text: str,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    no_infer: bool,
    as_json: bool,
) -> None:
    """Replace the text of memory MEMORY_ID with TEXT: re-embedded, its entities and
    relations derived again (one LLM extraction call unless --no-infer), the edit logged."""
    with cli_errors(), open_memory() as memory:
        result = memory.update(
            memory_id, text, user_id=user_id, agent_id=agent_id, run_id=run_id, infer=not no_infer
        )
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result['event']:<6} {result['id']}  {result['memory']}")
    if result["event"] == "NONE":
        status("the text is unchanged; nothing was written")
        return
    status(f"was: {result.get('previous_memory')}")
    for change, sign in (("removed", "-"), ("added", "+")):
        for relation in result["relations"][change]:
            status(f"  {sign} {relation['source']} {relation['relationship']} {relation['target']}")


LOG_COLUMNS = (
    ("at", "at"),
    ("event", "event"),
    ("memory_id", "memory"),
    ("text", "text"),
    ("reason", "reason"),
)


@click.command("log")
@click.argument("memory_id")
@scope_options
@json_options
def log(
    memory_id: str,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    as_json: bool,
    nl: bool,
) -> None:
    """The change log of memory MEMORY_ID (and of the memories it replaced or was replaced
    by), oldest first. For an entity's timeline use `graphmem history NAME`."""
    with cli_errors(), open_memory() as memory:
        entries = memory.history(memory_id, user_id=user_id, agent_id=agent_id, run_id=run_id)
    if not entries:
        raise NotFound(f"no memory with id {memory_id!r} in that scope has a change log")
    if as_json:
        emit_json(entries)  # what Memory.history returns: a list, as mem0's
    elif nl:
        emit_lines(entries)
    else:
        rows = [
            {**e, "at": e["created_at"], "text": e["new_memory"] or e["old_memory"]}
            for e in entries
        ]
        echo_table(rows, LOG_COLUMNS)


@click.command()
@click.argument("memory_id", required=False)
@scope_options
@click.option("--all", "everything", is_flag=True, help="Delete every memory of the scope.")
@click.option("--yes", is_flag=True, help="Do not ask before deleting a whole scope.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def delete(
    memory_id: str | None,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    everything: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Delete memory MEMORY_ID, or with --all every memory of the scope."""
    if everything == (memory_id is not None):
        raise click.UsageError("give either a MEMORY_ID or --all (with a scope)")
    if everything and not yes:
        scope = scope_label(user_id, agent_id, run_id)
        click.confirm(f"Delete every memory of {scope or 'no scope'}?", abort=True, err=True)
    with cli_errors(), open_memory() as memory:
        if everything:
            result = memory.delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id)
        else:
            assert memory_id is not None
            result = memory.delete(memory_id, user_id=user_id, agent_id=agent_id, run_id=run_id)
    if as_json:
        emit_json(result)
    elif everything:
        click.echo(f"deleted {result['deleted']} memories")
    else:
        click.echo(f"DELETE {memory_id}")


@click.command()
@click.argument("episode_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reextract(episode_id: str, as_json: bool) -> None:
    """Run extraction again on a stored episode (e.g. after a failed add)."""
    with cli_errors(), open_memory() as memory:
        result = memory.reextract(episode_id)
    if as_json:
        emit_json(result)
        return
    for item in result["results"]:
        click.echo(f"{item['event']:<6} {item['id']}  {item['memory']}")


@click.command()
@scope_options
@click.option(
    "--requester",
    default="cli",
    show_default=True,
    help="Who asked, for the record (an operator, a ticket number; not the data subject).",
)
@click.option("--yes", is_flag=True, help="Do not ask before erasing.")
@click.option("--json", "as_json", is_flag=True, help="Print the erasure record as JSON.")
def forget(
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    requester: str,
    yes: bool,
    as_json: bool,
) -> None:
    """Erase every trace of a scope (--user X: all of X's agents and runs): facts with their
    history, entities, relations, episodes with the raw messages, the change log. Leaves an
    erasure record without personal data (`graphmem erasures`)."""
    scope = scope_label(user_id, agent_id, run_id)
    if not yes:
        click.confirm(
            f"Erase everything of {scope or 'no scope'}? This cannot be undone.",
            abort=True,
            err=True,
        )
    with cli_errors(), open_memory() as memory:
        record = memory.forget(
            user_id=user_id, agent_id=agent_id, run_id=run_id, requester=requester
        )
    if as_json:
        emit_json(record)
        return
    click.echo(
        f"erased {scope}: {record['facts']} facts ({record['superseded_facts']} superseded), "
        f"{record['entities']} entities, {record['relations']} relations, "
        f"{record['episodes']} episodes, {record['changes']} change-log entries"
    )
    status(f"erasure record {record['id']}")


ERASURE_COLUMNS = (
    ("at", "at"),
    ("requester", "requester"),
    ("scope", "scope"),
    ("facts", "facts"),
    ("entities", "entities"),
    ("relations", "relations"),
    ("episodes", "episodes"),
    ("changes", "changes"),
    ("id", "id"),
)


@click.command()
@scope_options
@json_options
def erasures(
    user_id: str | None, agent_id: str | None, run_id: str | None, as_json: bool, nl: bool
) -> None:
    """List the erasure records, newest first; with --user (etc.), only the erasures of that
    exact scope (its hash matched): proof it was forgotten."""
    with cli_errors(), open_memory() as memory:
        listed = memory.erasures(user_id=user_id, agent_id=agent_id, run_id=run_id)
    found = listed["results"]
    if as_json:
        emit_json(listed)
    elif nl:
        emit_lines(found)
    elif not found:
        status(
            "no erasures recorded" + (" for that scope" if user_id or agent_id or run_id else "")
        )
    else:
        rows = [
            {**e, "at": str(e.get("at", ""))[:19], "scope": "+".join(e.get("scope_fields", []))}
            for e in found
        ]
        echo_table(rows, ERASURE_COLUMNS)
