"""What every graphmem command shares: scope options, error handling, output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

import click
import httpx

from graphmem.config import (
    Settings,
    load_settings,
    remember_local_server,
    remembered_local_server,
)
from graphmem.errors import GraphMemError, InputError, NotFoundError, StoreError

if TYPE_CHECKING:
    from graphmem.memory import Memory

EXIT_NOT_FOUND = 3
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
HTTP_TIMEOUT_S = 5.0
Outcome = Literal["ok", "warn", "fail"]

SCOPE_OPTIONS = (
    click.option("--user", "user_id", envvar="GRAPHMEM_USER_ID", help="user_id scope."),
    click.option("--agent", "agent_id", envvar="GRAPHMEM_AGENT_ID", help="agent_id scope."),
    click.option("--run", "run_id", envvar="GRAPHMEM_RUN_ID", help="run_id scope."),
)


def scope_options(func: Any) -> Any:
    for option in reversed(SCOPE_OPTIONS):
        func = option(func)
    return func


def status(message: str) -> None:
    """Progress and notes go to stderr so stdout stays clean for --json."""
    click.echo(message, err=True)


class NotFound(click.ClickException):
    """Nothing with that id (or name) in that scope: exit code 3, so scripts can tell."""

    exit_code = EXIT_NOT_FOUND


@contextmanager
def cli_errors() -> Iterator[None]:
    """graphmem errors become one-line ClickExceptions without tracebacks: exit 3 for
    NotFoundError, 2 for InputError (a usage error: what was asked cannot be done as
    asked), 1 for the rest (GRAPHMEM_CLI_TRACEBACK=1 shows the traceback)."""
    try:
        yield
    except NotFoundError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise NotFound(str(exc)) from exc
    except InputError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise click.UsageError(str(exc)) from exc
    except GraphMemError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise click.ClickException(str(exc)) from exc


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def emit_lines(items: list[dict[str, Any]]) -> None:
    """--nl: one JSON object per line, for piping into jq or another import."""
    for item in items:
        click.echo(json.dumps(item, default=str, ensure_ascii=False))


def json_options(func: Any) -> Any:
    func = click.option("--nl", is_flag=True, help="Print one JSON object per line.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def parse_json_option(raw: str | None, name: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=name)
    return value


def open_memory(settings: Settings | None = None, *, start_local: bool = False) -> Memory:
    """A Memory on the configured Neo4j; with start_local, start a local one if none answers."""
    from graphmem.memory import Memory

    settings = settings or load_settings()
    try:
        return Memory(settings)
    except StoreError:
        if not (start_local and (urlparse(settings.neo4j_uri).hostname or "") in LOCAL_HOSTS):
            raise
    from graphmem import neo4j_server

    port = urlparse(settings.neo4j_uri).port or 7687
    status(
        f"no Neo4j answered at {settings.neo4j_uri}; starting a local one (the first run "
        "downloads the server jars through Maven)..."
    )
    info = neo4j_server.start(
        bolt_port=port,
        password=settings.neo4j_password.get_secret_value(),
        version=settings.neo4j_version,
        java_home=settings.neo4j_java_home,
    )
    status(f"Neo4j ({info.mode}) running at {info.uri}")
    remember_local_server(settings.data_dir, info.uri, info.browser_url, info.home)
    return Memory(settings)


# -- what several command groups need -------------------------------------------


@dataclass
class Check:
    name: str
    outcome: Outcome
    detail: str


def check_llm(settings: Settings) -> Check:
    """Reach the LLM server and look for the configured model in its model list."""
    provider, model = settings.llm_provider, settings.llm_model
    headers: dict[str, str] = {}
    if provider == "ollama":
        from graphmem.llm.ollama import ollama_host

        host = ollama_host(settings.llm_base_url).rstrip("/")
        url, where = f"{host}/api/tags", f"Ollama at {host}"
        fix = f"`ollama pull {model}`"
        start = "start it with `ollama serve`"
    elif provider == "openai":
        base = settings.llm_base_url or os.environ.get("OPENAI_BASE_URL")
        base = (base or "https://api.openai.com/v1").rstrip("/")
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        key = key or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        url, where = f"{base}/models", f"OpenAI-compatible server at {base}"
        fix = "load the model on the server or set GRAPHMEM_LLM_MODEL"
        start = "start the server"
    else:
        return Check("llm", "warn", f"provider {provider!r} has no reachability check")
    try:
        answer = httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT_S)
        answer.raise_for_status()
        listed = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Check(
            "llm", "fail", f"cannot use {where} ({exc}): {start} or set GRAPHMEM_LLM_BASE_URL"
        )
    entries = listed.get("models" if provider == "ollama" else "data", [])
    names = {m.get(k) for m in entries for k in ("name", "model", "id")}
    if model in names or f"{model}:latest" in names:
        return Check("llm", "ok", f"{where}, model {model} present")
    return Check("llm", "fail", f"{where} answers but has no model {model}: {fix}")


def browser_url(settings: Settings) -> str:
    """Browser's address: the local server's when it serves the configured Neo4j (the one
    `graphmem neo4j start` remembered, else the default home's), else Neo4j's default HTTP
    port on the configured host."""
    from graphmem import neo4j_server

    remembered = remembered_local_server(settings.data_dir)
    if remembered and remembered["uri"] == settings.neo4j_uri and remembered["browser_url"]:
        return remembered["browser_url"]
    local = neo4j_server.status()
    if local.running and local.browser_url and local.uri == settings.neo4j_uri:
        return local.browser_url
    host = urlparse(settings.neo4j_uri).hostname or "127.0.0.1"
    return f"http://{host}:7474/browser/"
