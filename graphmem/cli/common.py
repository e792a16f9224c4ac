"""What every graphmem command shares: scope options, error handling, output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

import click
import httpx
from pydantic import SecretStr

from graphmem.config import (
    NEO4J_PASSWORD_FILE,
    Settings,
    config_file_path,
    load_settings,
    local_neo4j_password,
    remember_local_server,
    remembered_local_server,
)
from graphmem.errors import GraphMemError, InputError, NotFoundError, StoreError
from graphmem.urls import masked_url, masked_urls_in, same_server

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
    asked), 1 for the rest (GRAPHMEM_CLI_TRACEBACK=1 shows the traceback). URLs in the
    messages are shown with their credentials masked."""
    try:
        yield
    except NotFoundError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise NotFound(masked_urls_in(str(exc))) from exc
    except InputError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise click.UsageError(masked_urls_in(str(exc))) from exc
    except GraphMemError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise click.ClickException(masked_urls_in(str(exc))) from exc


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
    """A Memory on the configured Neo4j; with start_local, start a local one if none answers
    (with the configured password, else the home's stored or a new random one)."""
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
        f"no Neo4j answered at {masked_url(settings.neo4j_uri)}; starting a local one (the "
        "first run downloads the server jars through Maven)..."
    )
    configured = settings.neo4j_password_origin == "configured" and settings.neo4j_password
    home = local_home(settings)
    info = neo4j_server.start(
        home,
        bolt_port=port,
        http_port=settings.neo4j_http_port,
        password=configured.get_secret_value() if configured else None,
        version=settings.neo4j_version,
        java_home=settings.neo4j_java_home,
    )
    status(f"Neo4j ({info.mode}) running at {info.uri}")
    remember_local_server(settings.data_dir, info.uri, info.browser_url, info.home)
    if not configured:
        # The password is now the one the home stores (new, or the old default).
        password, _ = local_neo4j_password(home)
        settings = settings.model_copy(update={"neo4j_password": SecretStr(password)})
    return Memory(settings)


def local_home(settings: Settings) -> Path:
    """The local Neo4j's home from the settings (<data dir>/neo4j unless set), made readable
    by its owner only, with the data dir holding it."""
    from graphmem import neo4j_server

    home = settings.local_neo4j_home
    if home.parent == settings.data_dir.expanduser():
        neo4j_server.secure_dir(home.parent)
    neo4j_server.secure_dir(home)
    return home


# -- what several command groups need -------------------------------------------


@dataclass
class Check:
    name: str
    outcome: Outcome
    detail: str


def check_llm(settings: Settings) -> Check:
    """Reach the LLM server and look for the configured model in its model list. URLs in
    the detail are shown with their credentials masked."""
    provider, model = settings.llm_provider, settings.llm_model
    headers: dict[str, str] = {}
    if provider == "ollama":
        from graphmem.llm.ollama import ollama_host

        host = ollama_host(settings.llm_base_url).rstrip("/")
        url, where = f"{host}/api/tags", f"Ollama at {masked_url(host)}"
        fix = f"`ollama pull {model}`"
        start = "start it with `ollama serve`"
    elif provider == "openai":
        base = settings.llm_base_url or os.environ.get("OPENAI_BASE_URL")
        base = (base or "https://api.openai.com/v1").rstrip("/")
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        key = key or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        url, where = f"{base}/models", f"OpenAI-compatible server at {masked_url(base)}"
        fix = "load the model on the server or set GRAPHMEM_LLM_MODEL"
        start = "start the server"
    else:
        return Check("llm", "warn", f"provider {provider!r} has no reachability check")
    try:
        answer = httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT_S)
        answer.raise_for_status()
        listed = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        reason = masked_urls_in(str(exc))
        return Check(
            "llm", "fail", f"cannot use {where} ({reason}): {start} or set GRAPHMEM_LLM_BASE_URL"
        )
    entries = listed.get("models" if provider == "ollama" else "data", [])
    names = {m.get(k) for m in entries for k in ("name", "model", "id")}
    if model in names or f"{model}:latest" in names:
        return Check("llm", "ok", f"{where}, model {model} present")
    return Check("llm", "fail", f"{where} answers but has no model {model}: {fix}")


def browser_url(settings: Settings) -> str:
    """Browser's address: the local server's when it serves the configured Neo4j (the one
    `graphmem neo4j start` remembered, else the default home's), else Neo4j's default HTTP
    port (neo4j_http_port) on the configured host."""
    from graphmem import neo4j_server

    remembered = remembered_local_server(settings.data_dir)
    if (
        remembered
        and same_server(remembered["uri"], settings.neo4j_uri)
        and remembered["browser_url"]
    ):
        return remembered["browser_url"]
    local = neo4j_server.status()
    if local.running and local.browser_url and same_server(local.uri, settings.neo4j_uri):
        return local.browser_url
    host = urlparse(settings.neo4j_uri).hostname or "127.0.0.1"
    return f"http://{host}:{settings.neo4j_http_port}/browser/"


def password_source(settings: Settings) -> str:
    """Where the Neo4j password comes from, never the password itself."""
    home = settings.neo4j_password_home
    if home is not None:
        shows = "graphmem neo4j status --show-password"
        if home != settings.local_neo4j_home:
            shows += f" --home {home}"
        if settings.neo4j_password_origin == "legacy":
            return (
                f"the old default every install shared (`{shows}` prints it; "
                "`graphmem neo4j rotate-password` replaces it)"
            )
        return f"stored in {home / NEO4J_PASSWORD_FILE} (`{shows}` prints it)"
    if os.environ.get("GRAPHMEM_NEO4J_PASSWORD"):
        return "the GRAPHMEM_NEO4J_PASSWORD environment variable"
    path = config_file_path()
    if path.is_file() and "neo4j_password" in path.read_text(encoding="utf-8"):
        return f"neo4j_password in {path}"
    return "the one passed to Memory(neo4j_password=...)"


def scope_label(user_id: str | None, agent_id: str | None, run_id: str | None) -> str:
    """A scope as the CLI prints it: "user=alice, run=r1"."""
    named = (("user", user_id), ("agent", agent_id), ("run", run_id))
    return ", ".join(f"{kind}={value}" for kind, value in named if value)
