"""`graphmem add`, `graphmem search` and `graphmem quickstart`."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import urlparse

import click

from graphmem.cli.common import cli_errors, emit_json, scope_options, status
from graphmem.config import Settings, load_settings
from graphmem.errors import ConfigError, StoreError
from graphmem.memory import Memory
from graphmem.resources import resource_dir

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def open_memory(settings: Settings, *, start_local: bool = False) -> Memory:
    """A Memory on the configured Neo4j; with start_local, start a local one if none answers."""
    try:
        return Memory(settings)
    except StoreError:
        if not (start_local and _is_local(settings.neo4j_uri)):
            raise
    from graphmem import neo4j_server

    port = urlparse(settings.neo4j_uri).port or 7687
    status(
        f"no Neo4j answered at {settings.neo4j_uri}; starting a local one (first run "
        "downloads the server jars through Maven)..."
    )
    info = neo4j_server.start(bolt_port=port, password=settings.neo4j_password.get_secret_value())
    status(f"Neo4j {info.mode} running at {info.uri}")
    return Memory(settings)


def _is_local(uri: str) -> bool:
    return (urlparse(uri).hostname or "") in LOCAL_HOSTS


def parse_metadata(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--metadata") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--metadata")
    return value


@click.command()
@click.argument("text", required=False)
@scope_options
@click.option("--metadata", help='JSON object, e.g. \'{"room_id": "proj-42"}\'.')
@click.option("--no-infer", is_flag=True, help="Store the text as a fact as it is (no LLM).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def add(
    text: str | None,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    metadata: str | None,
    no_infer: bool,
    as_json: bool,
) -> None:
    """Remember TEXT (or stdin) for a scope."""
    content = text if text is not None else sys.stdin.read()
    meta = parse_metadata(metadata)
    with cli_errors(), Memory(load_settings()) as memory:
        result = memory.add(
            content,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            metadata=meta,
            infer=not no_infer,
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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(
    query: str,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    top_k: int,
    as_json: bool,
) -> None:
    """Recall the scope's facts most relevant to QUERY (no LLM call)."""
    with cli_errors(), Memory(load_settings()) as memory:
        result = memory.search(
            query, user_id=user_id, agent_id=agent_id, run_id=run_id, top_k=top_k
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
            status(
                f"loading the sample conversation ({len(sample['messages'])} turns) "
                f"for user {user!r}"
            )
            status(
                "LLM extraction is not wired into this build yet: loading the sample's "
                "bundled pre-extracted facts and triples instead."
            )
            added = memory.add_facts(sample["facts"], user_id=user)
            status(
                f"stored {len(added['results'])} facts, "
                f"{len(added['relations']['added_entities'])} relations"
            )
            question = sample["question"]
            click.echo(f"\nsearch({question!r}, user_id={user!r}):")
            print_results(memory.search(question, user_id=user, top_k=5)["results"])
    click.echo(f"\nExplore the graph in Neo4j Browser: {browser_url(settings)}")
    click.echo(
        f"  log in as {settings.neo4j_user}; try: MATCH p=(:Entity {{user_id: '{user}'}})"
        "-[]->() RETURN p"
    )


def browser_url(settings: Settings) -> str:
    host = urlparse(settings.neo4j_uri).hostname or "127.0.0.1"
    try:
        from graphmem import neo4j_server

        return neo4j_server.status().browser_url or f"http://{host}:7474/browser/"
    except (ImportError, ConfigError, AttributeError):
        return f"http://{host}:7474/browser/"
