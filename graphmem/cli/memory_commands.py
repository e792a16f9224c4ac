"""`graphmem add`, `graphmem search` and `graphmem quickstart`."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click

from graphmem.cli.common import (
    browser_url,
    check_llm,
    cli_errors,
    emit_json,
    open_memory,
    parse_json_option,
    password_source,
    scope_options,
    status,
)
from graphmem.config import Settings, load_settings
from graphmem.errors import ExtractionError, LLMError
from graphmem.memory import Memory
from graphmem.resources import resource_dir


@click.command()
@click.argument("text", required=False)
@scope_options
@click.option("--metadata", help='JSON object, e.g. \'{"room_id": "proj-42"}\'.')
@click.option("--no-infer", is_flag=True, help="Store the text as a fact as it is (no LLM).")
@click.option(
    "--timestamp", help="When it was said (ISO 8601 or a date); facts are valid from then."
)
@click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    help="Read the text from this file ('-' for stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def add(
    text: str | None,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    metadata: str | None,
    no_infer: bool,
    timestamp: str | None,
    source: IO[str] | None,
    as_json: bool,
) -> None:
    """Remember TEXT (or the --file, or stdin) for a scope."""
    if text is not None and source is not None:
        raise click.UsageError("give TEXT or --file, not both")
    content = text if text is not None else (source or sys.stdin).read()
    meta = parse_json_option(metadata, "--metadata") or {}
    with cli_errors(), open_memory() as memory:
        result = memory.add(
            content,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            metadata=meta,
            infer=not no_infer,
            timestamp=timestamp,
        )
    if as_json:
        emit_json(result)
        return
    for item in result["results"]:
        click.echo(f"{item['event']:<6} {item['id']}  {item['memory']}")


@click.command()
@click.argument("query")
@scope_options
@click.option("-k", "--top-k", default=10, show_default=True, help="How many facts.")
@click.option("--as-of", "as_of", help="Answer from what was valid then: a date or ISO 8601 time.")
@click.option("--filter", "filters", help='mem0 filter as JSON, e.g. \'{"room_id": "proj-42"}\'.')
@click.option("--threshold", type=float, help="Drop results scoring below this (0..1).")
@click.option("--include-superseded", is_flag=True, help="Also return facts later facts replaced.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(
    query: str,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    top_k: int,
    as_of: str | None,
    filters: str | None,
    threshold: float | None,
    include_superseded: bool,
    as_json: bool,
) -> None:
    """Recall the scope's facts most relevant to QUERY (no LLM call)."""
    if not query.strip():
        raise click.UsageError("QUERY is empty")
    where = parse_json_option(filters, "--filter")
    with cli_errors(), open_memory() as memory:
        result = memory.search(
            query,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            top_k=top_k,
            as_of=as_of,
            filters=where,
            threshold=threshold,
            include_superseded=include_superseded,
        )
    if as_json:
        emit_json(result)
        return
    print_results(result["results"])


def print_results(results: list[dict[str, Any]]) -> None:
    if not results:
        status("no memories found")
    for rank, item in enumerate(results, 1):
        click.echo(f"{rank:>2}. {item['score']:.3f}  {item['memory']}")


@click.command()
@click.option(
    "--user", "user_id", default=None, help="Scope for the sample (default: the sample's)."
)
def quickstart(user_id: str | None) -> None:
    """Start Neo4j if needed, load a sample conversation, and recall from it."""
    sample = json.loads((resource_dir("data") / "sample_conversation.json").read_text())
    user = user_id or sample["user_id"]
    with cli_errors():
        settings = load_settings()
        with open_memory(settings, start_local=True) as memory:
            memory.reset(user_id=user)
            status(f"sample conversation: {len(sample['messages'])} turns, user {user!r}")
            added = load_sample(memory, settings, sample, user)
            relations = sum(len(a["relations"]["added_entities"]) for a in added)
            facts = sum(len(a["results"]) for a in added)
            status(f"stored {facts} facts, {relations} relations")
            question = sample["question"]
            click.echo(f"\nsearch({question!r}, user_id={user!r}):")
            print_results(memory.search(question, user_id=user, top_k=5)["results"])
    click.echo(f"\nExplore the graph in Neo4j Browser: {browser_url(settings)}")
    started = load_settings()  # the password a server started just now stores
    click.echo(f"  log in as {settings.neo4j_user}, password {password_source(started)}")
    click.echo(f"  `graphmem browser --user {user}` prints a query for {user}'s current graph")


def load_sample(
    memory: Memory, settings: Settings, sample: dict[str, Any], user: str
) -> list[dict[str, Any]]:
    """Extract with the configured LLM when it answers; else the bundled extraction."""
    llm = check_llm(settings)
    if llm.outcome == "ok":
        status(f"extracting with {settings.llm_provider} {settings.llm_model} ...")
        try:
            return [memory.add(sample["messages"], user_id=user)]
        except (LLMError, ExtractionError) as exc:
            status(f"extraction failed ({exc}); using the bundled extraction instead")
            memory.reset(user_id=user)
    else:
        status(f"no LLM to extract with: {llm.detail}")
        status("loading the sample's bundled pre-extracted facts and triples instead")
    return [memory.add_facts(sample["facts"], user_id=user)]
