"""`graphmem doctor|serve|mcp|browser`: check the setup, run the services, open the graph."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click
import httpx

from graphmem.cli.common import (
    LOCAL_HOSTS,
    Check,
    browser_url,
    check_llm,
    cli_errors,
    emit_json,
    open_memory,
    password_source,
    status,
)
from graphmem.config import Settings, load_settings
from graphmem.embed import Embedder, get_embedder
from graphmem.errors import ConfigError, GraphMemError
from graphmem.resources import resource_dir
from graphmem.server.auth import KeyRing
from graphmem.server.fairness import DEFAULT_MAX_CONCURRENT_PER_KEY
from graphmem.shaping import Shaping
from graphmem.store.cypher import query
from graphmem.store.neo4j import GraphStore
from graphmem.upgrade import copies_missing, scopes_without_vocabulary
from graphmem.urls import masked_url, masked_urls_in


def indexes_needed(store: GraphStore) -> tuple[str, ...]:
    """The vector indexes of the slot the store answers from (store/vectors.py), and text."""
    slot = store.slot()
    return (slot.fact_index, slot.entity_index, "graphmem_text")


LEGACY_PASSWORD_WARNING = (
    "Neo4j opens with the old default password every install shared, so any local program "
    "can read every user's memories: run `graphmem neo4j rotate-password`"
)


# -- doctor -------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(as_json: bool) -> None:
    """Check the setup: Neo4j and its version, indexes and their dimensions, facts written
    by an older graphmem (graphmem upgrade), the LLM and its model, the embedder. Exit code
    1 when a check fails."""
    checks = run_checks()
    if as_json:
        emit_json([asdict(c) for c in checks])
    else:
        for check in checks:
            click.echo(f"{check.outcome:<4}  {check.name:<9} {check.detail}")
    if any(c.outcome == "fail" for c in checks):
        raise SystemExit(1)


def run_checks() -> list[Check]:
    """Every check, in dependency order; one failing does not hide the others. URLs in the
    details are shown with their credentials masked."""
    try:
        settings = load_settings()
    except GraphMemError as exc:
        return [Check("config", "fail", str(exc))]
    checks = [Check("config", "ok", f"neo4j {settings.neo4j_uri}, llm {settings.llm_provider}")]
    checks.append(_guarded("prompts", lambda: (None, check_prompts(settings)))[1])
    embedder, check = _guarded("embedder", lambda: check_embedder(settings))
    checks.append(check)
    store, check = _guarded("neo4j", lambda: check_neo4j(settings))
    checks.append(check)
    if store is not None and settings.neo4j_password_origin == "legacy":
        checks.append(Check("password", "warn", LEGACY_PASSWORD_WARNING))
    if store is not None:
        dimension = embedder.dimension if embedder is not None else None
        checks.append(_guarded("indexes", lambda: (None, check_indexes(store, dimension)))[1])
        checks.append(_guarded("copies", lambda: (None, check_copies(store)))[1])
        checks.append(_guarded("vocabulary", lambda: (None, check_vocabulary(store)))[1])
        store.close()
    if embedder is not None:
        embedder.close()
    checks.append(_guarded("llm", lambda: (None, check_llm(settings)))[1])
    return [replace(c, detail=masked_urls_in(c.detail)) for c in checks]


def _guarded(name: str, work: Callable[[], tuple[Any, Check]]) -> tuple[Any, Check]:
    try:
        return work()
    except (GraphMemError, httpx.HTTPError, OSError, ValueError) as exc:
        return None, Check(name, "fail", str(exc))


def check_prompts(settings: Settings) -> Check:
    """Custom prompts, instructions and the domain schema, as a Memory would load them."""
    return Check("prompts", "ok", Shaping.from_settings(settings).describe())


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
    needed = indexes_needed(store)
    missing = [name for name in needed if name not in rows]
    if missing:
        return Check(
            "indexes", "fail", f"missing {', '.join(missing)}: any graphmem command creates them"
        )
    parts, outcome = [], "ok"
    for name in needed:
        row = rows[name]
        text = f"{name} {row['state'].lower()}"
        if row["dimension"] is not None:
            text += f" dim {row['dimension']}"
            if dimension is not None and int(row["dimension"]) != dimension:
                outcome = "fail"
                text += f" (embedder has {dimension}: re-embed: graphmem reembed --model ...)"
        if row["state"] != "ONLINE":
            outcome = "fail" if outcome == "fail" else "warn"
        parts.append(text)
    return Check("indexes", outcome, "; ".join(parts))  # type: ignore[arg-type]


def check_copies(store: GraphStore) -> Check:
    """Whether an older graphmem left facts without the float16 copies recall reads."""
    if copies_missing(store):
        detail = (
            "some facts have no float16 copy of their vector (written by an older graphmem): "
            "search reads their vectors instead, slower; run: graphmem upgrade"
        )
        return Check("copies", "warn", detail)
    return Check("copies", "ok", "every fact has its float16 copy")


def check_vocabulary(store: GraphStore) -> Check:
    """Whether some scope has relations and no relation vocabulary (an older graphmem, or a
    restore by one, wrote it)."""
    lacking = len(scopes_without_vocabulary(store))
    if lacking:
        detail = (
            f"{lacking} scopes have relations but no relation vocabulary (written by an older "
            "graphmem): relational questions match relation type names only; run: "
            "graphmem upgrade"
        )
        return Check("vocabulary", "warn", detail)
    return Check("vocabulary", "ok", "every scope with relations has its relation vocabulary")


# -- serve / mcp ----------------------------------------------------------------


_api_keys_option = click.option(
    "--api-keys",
    "api_keys",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="GRAPHMEM_API_KEYS_FILE",
    show_envvar=True,
    help="JSON or TOML file mapping API keys to scopes (or set GRAPHMEM_API_KEYS).",
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, help="Port.")
@_api_keys_option
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Serve without API keys (any caller, any scope; loopback only).",
)
@click.option(
    "--max-body-bytes",
    default=1_000_000,
    show_default=True,
    help="Largest request body accepted (413 above).",
)
@click.option(
    "--max-concurrent-per-key",
    default=DEFAULT_MAX_CONCURRENT_PER_KEY,
    show_default=True,
    envvar="GRAPHMEM_MAX_CONCURRENT_PER_KEY",
    show_envvar=True,
    type=click.IntRange(min=1),
    help="Requests one API key may have in flight; more are answered 429 with Retry-After.",
)
def serve(
    host: str,
    port: int,
    api_keys: Path | None,
    insecure_no_auth: bool,
    max_body_bytes: int,
    max_concurrent_per_key: int,
) -> None:
    """Serve the REST API (OpenAPI docs at /docs), API keys bound to scopes."""
    try:
        import uvicorn

        from graphmem.server.rest import create_app
    except ImportError:
        raise click.ClickException(
            "the REST server needs uvicorn and fastapi: pip install 'graphmem[server]'"
        ) from None

    with cli_errors():
        keys = required_keys(host, api_keys, insecure_no_auth)
        memory = open_memory()
    if keys is None:
        status("warning: serving WITHOUT API keys; any caller can read and write any scope")
    status(f"graphmem REST on http://{host}:{port} (docs: /docs)")
    app = create_app(
        memory, keys, max_body_bytes=max_body_bytes, max_concurrent_per_key=max_concurrent_per_key
    )
    freeze_start_up_objects()
    try:
        uvicorn.run(app, host=host, port=port)
    finally:
        memory.close()


@click.command()
@click.option(
    "--transport",
    type=click.Choice(["stdio", "streamable-http"]),
    default="stdio",
    show_default=True,
    help="stdio for a local agent; streamable-http to serve over HTTP (needs API keys).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP interface.")
@click.option("--port", default=8001, show_default=True, help="HTTP port.")
@click.option("--user", "user_id", envvar="GRAPHMEM_USER_ID", help="Confine tools to this user.")
@click.option("--agent", "agent_id", envvar="GRAPHMEM_AGENT_ID", help="Confine to this agent.")
@click.option("--run", "run_id", envvar="GRAPHMEM_RUN_ID", help="Confine to this run.")
@click.option(
    "--unscoped", is_flag=True, help="Let tool calls name any user (trusted single-user setups)."
)
@_api_keys_option
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Serve streamable HTTP without API keys (loopback only).",
)
def mcp(
    transport: str,
    host: str,
    port: int,
    user_id: str | None,
    agent_id: str | None,
    run_id: str | None,
    unscoped: bool,
    api_keys: Path | None,
    insecure_no_auth: bool,
) -> None:
    """Serve graphmem's tools over MCP (add_memory, search_memory, entity_history, ...).

    Every tool call is confined to --user/--agent/--run (or, over HTTP, also to the scope of
    the request's API key); --unscoped lets tool calls name any scope."""
    try:
        import uvicorn

        from graphmem.server.mcp import RequireKey, build_server, server_grant
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None

    http = transport == "streamable-http"
    scope = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    with cli_errors():
        keys = required_keys(host, api_keys, insecure_no_auth) if http else None
        # Refused before anything is loaded: a server without a scope must say so.
        try:
            grant = server_grant(**scope, unscoped=unscoped, keyed=keys)
        except ConfigError as exc:  # no scope option given: a usage error (exit 2)
            raise click.UsageError(str(exc)) from None
        if grant.scope is None and keys is None:
            status(
                "warning: --unscoped: tool calls may name any user_id, so whatever connects "
                "can read, write and delete every user's memories"
            )
        memory = open_memory()
    try:
        server = build_server(memory, **scope, unscoped=unscoped, keys=keys)
        freeze_start_up_objects()
        if not http:
            server.run("stdio")
            return
        if keys is None:
            status("warning: serving MCP WITHOUT API keys; any local program can call it")
        status(f"graphmem MCP on http://{host}:{port}/mcp")
        app = server.streamable_http_app(host=host)
        uvicorn.run(app if keys is None else RequireKey(app, keys), host=host, port=port)
    finally:
        memory.close()


def freeze_start_up_objects() -> None:
    """Keep what a server holds from start-up (modules, the embedder, the app) out of
    every later garbage collection.

    A full collection of the cyclic collector walks every tracked object: ~40 ms for the
    ~60,000 a process holds once graphmem is imported (2-core machine), spent inside
    whichever request's allocations crossed the threshold, so a search's tail. A server
    never frees its start-up objects; after one collection of start-up garbage, freezing
    the rest (gc.freeze) leaves later collections only what requests allocate."""
    gc.collect()
    gc.freeze()


def required_keys(host: str, api_keys: Path | None, insecure_no_auth: bool) -> KeyRing | None:
    """The API keys an HTTP server demands; none only when asked, and only on loopback."""
    if not insecure_no_auth:
        return KeyRing.configured(api_keys)
    if host not in LOCAL_HOSTS:
        raise ConfigError(
            f"--insecure-no-auth serves on loopback only, not on {host}: whoever reaches it "
            "could read and change every memory it serves; configure API keys instead"
        )
    return None


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
                "connect_url": masked_url(settings.neo4j_uri),
                "user": settings.neo4j_user,
                "password": password_source(settings),
                "current_graph": {"params": {"user_id": user}, "query": graph_query},
                "style": str(style),
                "queries": [str(q) for q in queries],
            }
        )
        return
    click.echo(f"Neo4j Browser: {url}")
    click.echo(f"  connect to {masked_url(settings.neo4j_uri)} as {settings.neo4j_user}")
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


def _statement(path: Path) -> str:
    """A saved query on one line, without its comments."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return " ".join(line.strip() for line in lines if not line.lstrip().startswith("//"))


def _first_comment(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("//"):
            return line.lstrip("/ ").strip()
    return ""
