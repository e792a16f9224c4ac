"""`graphmem neo4j start|stop|status`: a local Neo4j server for graphmem.

Results go to stdout, progress to stderr; failures are ClickExceptions.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from graphmem import neo4j_server
from graphmem.cli.common import LOCAL_HOSTS, local_home
from graphmem.config import (
    Settings,
    forget_local_server,
    load_settings,
    local_neo4j_password,
    remember_local_server,
)
from graphmem.errors import ConfigError, Neo4jLauncherError

F = TypeVar("F", bound=Callable[..., Any])

_home_option = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="GRAPHMEM_NEO4J_HOME",
    default=None,
    show_envvar=True,
    help="Server directory (conf, data, logs, password). Default: <graphmem data dir>/neo4j.",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _launcher_errors(func: F) -> F:
    """Turn launcher errors into ClickExceptions, so the CLI prints the message, not a trace."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (Neo4jLauncherError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


@click.group("neo4j")
def neo4j_group() -> None:
    """Run a local Neo4j server: Docker when it answers, else jars from Maven Central."""


@neo4j_group.command("start")
@_home_option
@click.option(
    "--bolt-port",
    type=int,
    default=7687,
    show_default=True,
    envvar="GRAPHMEM_NEO4J_BOLT_PORT",
    show_envvar=True,
    help="Bolt port.",
)
@click.option(
    "--http-port",
    type=int,
    default=None,
    envvar="GRAPHMEM_NEO4J_HTTP_PORT",
    show_envvar=True,
    help="Browser/HTTP. Default: the config file's neo4j_http_port, else 7474.",
)
@click.option(
    "--password",
    default=None,
    envvar="GRAPHMEM_NEO4J_PASSWORD",
    show_envvar=True,
    help="Initial password of user neo4j. Default: the home's stored one, or a new random one.",
)
@click.option(
    "--listen-address",
    default="127.0.0.1",
    show_default=True,
    envvar="GRAPHMEM_NEO4J_LISTEN_ADDRESS",
    show_envvar=True,
    help="Interface Bolt and HTTP listen on; anything but loopback exposes the server.",
)
@click.option(
    "--heap",
    default="512m",
    show_default=True,
    envvar="GRAPHMEM_NEO4J_HEAP",
    show_envvar=True,
    help="JVM heap.",
)
@click.option(
    "--pagecache",
    default="256m",
    show_default=True,
    envvar="GRAPHMEM_NEO4J_PAGECACHE",
    show_envvar=True,
    help="Page cache.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=180,
    show_default=True,
    help="Seconds to wait for Bolt.",
)
@click.option(
    "--docker/--no-docker",
    "prefer_docker",
    default=True,
    show_default=True,
    envvar="GRAPHMEM_NEO4J_DOCKER",
    show_envvar=True,
    help="Use Docker when it answers.",
)
@click.option(
    "--neo4j-version",
    "version",
    default=None,
    envvar="GRAPHMEM_NEO4J_VERSION",
    show_envvar=True,
    help=(
        f"Neo4j release on Maven Central, e.g. 2026.08.1 (Java 21+). Default: the config "
        f"file's neo4j_version, else {neo4j_server.NEO4J_VERSION}."
    ),
)
@click.option(
    "--java-home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="GRAPHMEM_NEO4J_JAVA_HOME",
    show_envvar=True,
    help="JDK that runs Neo4j (no Docker). Default: the config file's, else JAVA_HOME, else PATH.",
)
@_json_option
@_launcher_errors
def start_command(
    home: Path | None,
    bolt_port: int,
    http_port: int | None,
    password: str | None,
    listen_address: str,
    heap: str,
    pagecache: str,
    timeout_s: float,
    prefer_docker: bool,
    version: str | None,
    java_home: Path | None,
    as_json: bool,
) -> None:
    """Start the server (or find it running) and wait until Bolt answers.

    A new server gets a random password, kept in its home readable by you only; every
    graphmem command finds it there (`status --show-password` prints it). The server is
    remembered (under the data dir), so every later graphmem command that is not told
    another GRAPHMEM_NEO4J_URI connects to it, on the port given here, with the password
    its home keeps."""
    settings = load_settings()  # the config file, when neither option nor env says
    version = version or settings.neo4j_version
    java_home = java_home or settings.neo4j_java_home
    http_port = http_port or settings.neo4j_http_port
    home = _home(home, settings)
    if listen_address not in LOCAL_HOSTS:
        click.echo(
            f"warning: Neo4j will listen on {listen_address}, reachable from other machines; "
            "its password is all that guards every user's memories",
            err=True,
        )
    click.echo(
        f"Starting Neo4j {version} (the first start fetches its jars with Maven)...", err=True
    )
    info = neo4j_server.start(
        home,
        bolt_port=bolt_port,
        http_port=http_port,
        password=password,
        heap=heap,
        pagecache=pagecache,
        timeout_s=timeout_s,
        prefer_docker=prefer_docker,
        version=version,
        java_home=java_home,
        listen_address=listen_address,
    )
    remember_local_server(settings.data_dir, info.uri, info.browser_url, info.home)
    if info.default_password:
        _warn_default_password()
    if as_json:
        click.echo(json.dumps(info.to_dict(), indent=2))
        return
    click.echo(
        f"Neo4j {info.version} is running ({info.mode}, "
        f"{_process_label(info.pid, info.container_id)}).",
        err=True,
    )
    click.echo(f"uri: {info.uri}")
    click.echo(f"browser: {info.browser_url}")
    click.echo(f"user: {info.user}")
    click.echo(f"password: {_password_note(info.password_file, info.default_password)}")
    click.echo(f"home: {info.home}")
    if info.log_path is not None:
        click.echo(f"log: {info.log_path}")


@neo4j_group.command("stop")
@_home_option
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=60,
    show_default=True,
    help="Seconds to wait for a clean shutdown before killing.",
)
@_launcher_errors
def stop_command(home: Path | None, timeout_s: float) -> None:
    """Stop the server started for --home."""
    settings = load_settings()
    home = _home(home, settings)
    forget_local_server(settings.data_dir, neo4j_server.status(home).home)
    if neo4j_server.stop(home, timeout_s=timeout_s):
        click.echo("Neo4j stopped.", err=True)
    else:
        click.echo("Neo4j was not running.", err=True)


@neo4j_group.command("status")
@_home_option
@click.option(
    "--show-password", is_flag=True, help="Also print the password of user neo4j (stdout)."
)
@_json_option
@_launcher_errors
def status_command(home: Path | None, show_password: bool, as_json: bool) -> None:
    """Say whether the server for --home runs, with its addresses and version."""
    found = neo4j_server.status(_home(home))
    secret = _password_of(found.home) if show_password else None
    if as_json:
        shown = found.to_dict()
        if show_password:
            shown["password"] = secret
        click.echo(json.dumps(shown, indent=2))
        return
    if not found.running:
        click.echo(f"Neo4j is not running (home {found.home}).", err=True)
        if show_password:
            click.echo(f"password: {secret}")
        return
    if found.default_password:
        _warn_default_password()
    click.echo(f"running: {found.mode}, {_process_label(found.pid, found.container_id)}")
    click.echo(f"uri: {found.uri}")
    click.echo(f"browser: {found.browser_url}")
    click.echo(f"version: {found.version or 'not answering'}")
    click.echo(f"home: {found.home}")
    if show_password:
        click.echo(f"password: {secret}")
    else:
        click.echo(f"password: {_password_note(found.password_file, found.default_password)}")


@neo4j_group.command("rotate-password")
@_home_option
@_launcher_errors
def rotate_password_command(home: Path | None) -> None:
    """Give the running server a new random password, stored in its home (0600).

    For an install from before random passwords, which still has the old shared default."""
    settings = load_settings()
    found = neo4j_server.status(_home(home, settings))
    if not found.running or found.uri is None:
        raise click.ClickException(f"Neo4j is not running (home {found.home}); start it first")
    current = _password_of(found.home)
    if settings.neo4j_password_origin == "configured" and settings.neo4j_password is not None:
        current = settings.neo4j_password.get_secret_value()
    neo4j_server.rotate_password(found.uri, found.home, current)
    click.echo(f"Password rotated; stored in {neo4j_server.password_path(found.home)}.", err=True)
    if settings.neo4j_password_origin == "configured":
        click.echo(
            "GRAPHMEM_NEO4J_PASSWORD (or the config file) still names the old one: remove it, "
            "and graphmem reads the stored password",
            err=True,
        )


def _home(home: Path | None, settings: Settings | None = None) -> Path:
    """--home, else the settings' local home (<data dir>/neo4j)."""
    return home if home is not None else local_home(settings or load_settings())


def _password_of(home: Path) -> str:
    return local_neo4j_password(home.expanduser().resolve())[0]


def _password_note(password_file: Path | None, default_password: bool) -> str:
    if default_password:
        return f"the old default ({neo4j_server.ROTATE_HINT} to replace it)"
    if password_file is not None:
        return f"in {password_file} (--show-password prints it)"
    return "as given"


def _warn_default_password() -> None:
    click.echo(
        "warning: this Neo4j still has the old default password, which any local program "
        f"can use to read every user's memories; run `{neo4j_server.ROTATE_HINT}`",
        err=True,
    )


def _process_label(pid: int | None, container_id: str | None) -> str:
    return f"container {container_id[:12]}" if container_id else f"pid {pid}"
