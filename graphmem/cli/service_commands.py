"""`graphmem doctor|serve|mcp|browser`: check the setup, run the services, open the graph."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import click
import httpx

from graphmem.cli.common import (
    Check,
    browser_url,
    check_llm,
    cli_errors,
    emit_json,
    open_memory,
    status,
)
from graphmem.config import (
    LOCAL_NEO4J_PASSWORD,
    Settings,
    config_file_path,
    load_settings,
)
from graphmem.embed import Embedder, get_embedder
from graphmem.errors import GraphMemError
from graphmem.resources import resource_dir
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore

Outcome = Literal["ok", "warn", "fail"]
INDEXES_NEEDED = ("graphmem_fact_embedding", "graphmem_entity_embedding", "graphmem_text")
HTTP_TIMEOUT_S = 5.0


# -- doctor -------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(as_json: bool) -> None:
    """Check the setup: Neo4j and its version, indexes and their dimensions, the LLM and
    its model, the embedder. Exit code 1 when a check fails."""
    checks = run_checks()
    if as_json:
        emit_json([asdict(c) for c in checks])
    else:
        for check in checks:
            click.echo(f"{check.outcome:<4}  {check.name:<9} {check.detail}")
    if any(c.outcome == "fail" for c in checks):
        raise SystemExit(1)


def run_checks() -> list[Check]:
    """Every check, in dependency order; one failing does not hide the others."""
    try:
        settings = load_settings()
    except GraphMemError as exc:
        return [Check("config", "fail", str(exc))]
    checks = [Check("config", "ok", f"neo4j {settings.neo4j_uri}, llm {settings.llm_provider}")]
    embedder, check = _guarded("embedder", lambda: check_embedder(settings))
    checks.append(check)
    store, check = _guarded("neo4j", lambda: check_neo4j(settings))
    checks.append(check)
    if store is not None:
        dimension = embedder.dimension if embedder is not None else None
        checks.append(_guarded("indexes", lambda: (None, check_indexes(store, dimension)))[1])
        store.close()
    if embedder is not None:
        embedder.close()
    checks.append(_guarded("llm", lambda: (None, check_llm(settings)))[1])
    return checks


def _guarded(name: str, work: Callable[[], tuple[Any, Check]]) -> tuple[Any, Check]:
    try:
        return work()
    except (GraphMemError, httpx.HTTPError, OSError, ValueError) as exc:
        return None, Check(name, "fail", str(exc))


def check_embedder(settings: Settings) -> tuple[Embedder, Check]:
    embedder = get_embedder(settings)
    vector = embedder.embed_one("graphmem doctor")
    detail = f"{settings.embedder_provider} {embedder.model}, dimension {len(vector)}"
    return embedder, Check("embedder", "ok", detail)


def check_neo4j(settings: Settings) -> tuple[GraphStore, Check]:
    store = GraphStore.connect(settings)
    version = store.server_version()
    return store, Check("neo4j", "ok", f"Neo4j {version} at {settings.neo4j_uri}")


def check_indexes(store: GraphStore, dimension: int | None) -> Check:
    rows = {r["name"]: r for r in store.read(query("graph/indexes"), {})}
    missing = [name for name in INDEXES_NEEDED if name not in rows]
    if missing:
        return Check(
            "indexes", "fail", f"missing {', '.join(missing)}: any graphmem command creates them"
        )
    parts, outcome = [], "ok"
    for name in INDEXES_NEEDED:
        row = rows[name]
        text = f"{name} {row['state'].lower()}"
        if row["dimension"] is not None:
            text += f" dim {row['dimension']}"
            if dimension is not None and int(row["dimension"]) != dimension:
                outcome = "fail"
                text += f" (embedder has {dimension}: re-create the index or change the embedder)"
        if row["state"] != "ONLINE":
            outcome = "fail" if outcome == "fail" else "warn"
        parts.append(text)
    return Check("indexes", outcome, "; ".join(parts))  # type: ignore[arg-type]


# -- serve / mcp ----------------------------------------------------------------


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, help="Port.")
@click.option(
    "--api-keys",
    "api_keys",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="GRAPHMEM_API_KEYS_FILE",
    show_envvar=True,
    help="JSON or TOML file mapping API keys to scopes (or set GRAPHMEM_API_KEYS).",
)
@click.option(
    "--insecure-no-auth", is_flag=True, help="Serve without API keys (any caller, any scope)."
)
@click.option(
    "--max-body-bytes",
    default=1_000_000,
    show_default=True,
    help="Largest request body accepted (413 above).",
)
def serve(
    host: str, port: int, api_keys: Path | None, insecure_no_auth: bool, max_body_bytes: int
) -> None:
    """Serve the REST API (OpenAPI docs at /docs), API keys bound to scopes."""
    try:
        import uvicorn
    except ImportError:
        raise click.ClickException(
            "the REST server needs uvicorn and fastapi: pip install 'graphmem[server]'"
        ) from None
    from graphmem.server.auth import KeyRing
    from graphmem.server.rest import create_app

    with cli_errors():
        keys = None if insecure_no_auth else KeyRing.configured(api_keys)
        memory = open_memory()
    if keys is None:
        status("warning: serving WITHOUT API keys; any caller can read and write any scope")
    status(f"graphmem REST on http://{host}:{port} (docs: /docs)")
    try:
        uvicorn.run(create_app(memory, keys, max_body_bytes=max_body_bytes), host=host, port=port)
    finally:
        memory.close()


@click.command()
@click.option(
    "--transport",
    type=click.Choice(["stdio", "streamable-http"]),
    default="stdio",
    show_default=True,
    help="stdio for a local agent; streamable-http to serve over HTTP.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP interface.")
@click.option("--port", default=8001, show_default=True, help="HTTP port.")
@click.option("--user", "user_id", envvar="GRAPHMEM_USER_ID", help="Confine tools to this user.")
@click.option("--agent", "agent_id", envvar="GRAPHMEM_AGENT_ID", help="Confine to this agent.")
def mcp(transport: str, host: str, port: int, user_id: str | None, agent_id: str | None) -> None:
    """Serve graphmem's tools over MCP (add_memory, search_memory, entity_history, ...)."""
    from graphmem.server.mcp import build_server

    with cli_errors():
        memory = open_memory()
    try:
        server = build_server(memory, user_id=user_id, agent_id=agent_id)
        if transport == "stdio":
            server.run("stdio")
        else:
            status(f"graphmem MCP on http://{host}:{port}/mcp")
            server.run("streamable-http", host=host, port=port)
    finally:
        memory.close()


# -- browser ------------------------------------------------------------------


@click.command()
@click.option("--user", "user_id", envvar="GRAPHMEM_USER_ID", help="Whose graph to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def browser(user_id: str | None, as_json: bool) -> None:
    """Print Neo4j Browser's URL, how to log in, a query showing a user's current graph, and
    how to load graphmem's style and saved queries."""
    with cli_errors():
        settings = load_settings()
    folder = resource_dir("cypher") / "browser"
    style = folder / "graphmem.grass"
    queries = sorted(folder.glob("*.cypher"))
    url = browser_url(settings)
    user = user_id or "alice"
    graph_query = _statement(folder / "user_graph.cypher")
    if as_json:
        emit_json(
            {
                "url": url,
                "connect_url": settings.neo4j_uri,
                "user": settings.neo4j_user,
                "password": password_source(settings),
                "current_graph": {"params": {"user_id": user}, "query": graph_query},
                "style": str(style),
                "queries": [str(q) for q in queries],
            }
        )
        return
    click.echo(f"Neo4j Browser: {url}")
    click.echo(f"  connect to {settings.neo4j_uri} as {settings.neo4j_user}")
    click.echo(f"  password: {password_source(settings)}")
    click.echo(f"\n{user}'s current graph (relations that hold now; retired ones are WAS):")
    click.echo(f"  :param user_id => '{user}'")
    click.echo(f"  {graph_query}")
    click.echo(f"\nstyle (captions and colours by entity type, WAS pale): {style}")
    click.echo("  drag the file onto the Browser window and choose to use it as the style,")
    click.echo("  or run  :style <the file's text>  in the editor (Browser's own GraSS command)")
    click.echo(f"\nsaved queries ({len(queries)}), in {folder}:")
    for path in queries:
        click.echo(f"  {path.name:<28} {_first_comment(path)}")
    click.echo("  drag them onto the Browser window to import them into Favorites (the star)")
    click.echo("  set their parameters first:  :param user_id => 'alice'  :param name => 'Alice'")


def password_source(settings: Settings) -> str:
    """Where the Neo4j password comes from (never the password itself, unless it is the
    local default that graphmem's own servers are started with)."""
    if os.environ.get("GRAPHMEM_NEO4J_PASSWORD"):
        return "the GRAPHMEM_NEO4J_PASSWORD environment variable"
    path = config_file_path()
    if path.is_file() and "neo4j_password" in path.read_text(encoding="utf-8"):
        return f"neo4j_password in {path}"
    if settings.neo4j_password.get_secret_value() == LOCAL_NEO4J_PASSWORD:
        return (
            f"{LOCAL_NEO4J_PASSWORD} (the default `graphmem neo4j start` and "
            "docker/compose.yml give a local server)"
        )
    return "the one passed to Memory(neo4j_password=...)"


def _statement(path: Path) -> str:
    """A saved query on one line, without its comments."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return " ".join(line.strip() for line in lines if not line.lstrip().startswith("//"))


def _first_comment(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("//"):
            return line.lstrip("/ ").strip()
    return ""
