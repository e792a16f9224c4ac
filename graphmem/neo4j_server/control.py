"""start / stop / status: the public verbs, choosing Docker or the launcher per home."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from graphmem.config import LEGACY_NEO4J_PASSWORD, default_data_dir
from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.conf import LOOPBACK, validate_options
from graphmem.neo4j_server.credentials import (
    Password,
    password_for_start,
    password_path,
    secure_dir,
)
from graphmem.neo4j_server.docker import (
    compose_up,
    container_running,
    docker_available,
    stop_container,
)
from graphmem.neo4j_server.launcher import database_exists, start_launcher
from graphmem.neo4j_server.process import pid_alive, stop_pid
from graphmem.neo4j_server.readiness import (
    PasswordRefused,
    http_version,
    opens_with,
    wait_for_bolt,
    wait_for_http,
)
from graphmem.neo4j_server.state import (
    NEO4J_VERSION,
    ServerInfo,
    ServerStatus,
    clear_state,
    info_from_state,
    read_state,
    resolve_home,
    write_state,
)
from graphmem.neo4j_server.versions import check_version


def start(
    home: Path | None = None,
    *,
    bolt_port: int = 7687,
    http_port: int = 7474,
    password: str | None = None,
    heap: str = "512m",
    pagecache: str = "256m",
    timeout_s: float = 180,
    prefer_docker: bool = True,
    version: str = NEO4J_VERSION,
    java_home: Path | str | None = None,
    listen_address: str = LOOPBACK,
) -> ServerInfo:
    """Start a Neo4j server for ``home`` (default ``<data dir>/neo4j``) and wait for Bolt.

    Idempotent: when a server started here is already running, its info is returned (after
    checking that the password opens it, and that it runs ``version``). ``java_home`` picks
    the JDK for the launcher (default: $JAVA_HOME, then PATH).

    The password: ``password`` when given (the initial one: a database that already exists
    keeps the password it was created with). Else the one the home stores; a new home gets
    a random one, stored in ``<home>/graphmem-neo4j.password`` (0600; the home is 0700 and
    the server's files 0600). A database from before random passwords has no file and opens
    with the old default: ``ServerInfo.default_password`` says so (rotate_password fixes it).

    Bolt and HTTP listen on ``listen_address``, loopback unless asked otherwise.

    A database written by a newer Neo4j cannot be opened by an older one: give each version
    line its own ``home``.

    Raises:
        Neo4jLauncherError: Java (or a new enough one) or Maven missing, a port taken, the
            server died, timed out or refused the password. The message says what to change.
    """
    default_home = home is None
    home = resolve_home(home)
    validate_options(bolt_port, http_port, heap, pagecache)
    check_version(version)
    if default_home:
        secure_dir(default_data_dir())
    secure_dir(home)
    deadline = time.monotonic() + timeout_s
    running = running_info(home)
    if running is not None:
        if running.version != version:
            raise Neo4jLauncherError(
                f"Neo4j {running.version} already runs for {home}, not {version}: stop it "
                "first (`graphmem neo4j stop`), or give the other version its own home"
            )
        chosen = password_for_start(home, password, database_exists=True)
        wait_for_bolt(running, chosen.value, deadline, alive=lambda: True)
        found = _with_password(running, chosen)
        if found != running:  # the password file came or went since: status should say
            write_state(home, found)
        return found
    if prefer_docker and docker_available():
        return _start_docker(
            home, bolt_port, http_port, password, heap, pagecache, deadline, version, listen_address
        )
    chosen = password_for_start(home, password, database_exists(home))
    return start_launcher(
        home,
        bolt_port,
        http_port,
        chosen,
        heap,
        pagecache,
        deadline,
        version,
        java_home,
        listen_address,
    )


def stop(home: Path | None = None, timeout_s: float = 60) -> bool:
    """Stop the server started for ``home``. Returns False when none was running."""
    home = resolve_home(home)
    state = read_state(home)
    info = info_from_state(state) if state is not None else None
    if info is None:
        clear_state(home)
        return False
    if info.mode == "docker":
        stopped = stop_container(info.container_id, timeout_s)
    else:
        stopped = info.pid is not None and stop_pid(info.pid, home, timeout_s)
    clear_state(home)
    return stopped


def status(home: Path | None = None) -> ServerStatus:
    """Report whether the server for ``home`` runs, and its version when it answers."""
    home = resolve_home(home)
    info = running_info(home)
    if info is None:
        return ServerStatus(running=False, home=home)
    if password_path(home).is_file():  # stored since the start, by rotate_password
        info = _with_password(info, Password("stored"))
    return ServerStatus(
        running=True,
        home=home,
        mode=info.mode,
        pid=info.pid,
        container_id=info.container_id,
        uri=info.uri,
        browser_url=info.browser_url,
        version=http_version(info.http_port),
        log_path=info.log_path,
        password_file=info.password_file,
        default_password=info.default_password,
    )


def running_info(home: Path) -> ServerInfo | None:
    """The recorded server for home if it still runs; a stale record is removed."""
    state = read_state(home)
    if state is None:
        return None
    info = info_from_state(state)
    if info is not None:
        running = (
            container_running(info.container_id)
            if info.mode == "docker"
            else info.pid is not None and pid_alive(info.pid, home)
        )
        if running:
            return info
    clear_state(home)
    return None


def _start_docker(
    home: Path,
    bolt_port: int,
    http_port: int,
    given: str | None,
    heap: str,
    pagecache: str,
    deadline: float,
    version: str,
    listen_address: str,
) -> ServerInfo:
    """Docker mode. The data lives in a compose volume the home cannot see: a home without
    a password file gets a new one, and when the volume turns out to hold a database from
    before (which refuses it but opens with the old default), that is reported instead."""
    chosen = password_for_start(home, given, database_exists=False)
    info = compose_up(
        home, bolt_port, http_port, chosen.value, heap, pagecache, version, listen_address
    )
    info = _with_password(info, chosen)
    write_state(home, info)
    container_id = info.container_id
    try:
        wait_for_bolt(info, chosen.value, deadline, alive=lambda: container_running(container_id))
    except PasswordRefused:
        if given is not None or not opens_with(info, LEGACY_NEO4J_PASSWORD):
            raise
        password_path(home).unlink(missing_ok=True)
        info = _with_password(info, Password(LEGACY_NEO4J_PASSWORD, legacy=True))
        write_state(home, info)
    wait_for_http(info, deadline)
    return info


def _with_password(info: ServerInfo, password: Password) -> ServerInfo:
    """The info with where its password is kept, and whether it is the old default."""
    stored = password_path(info.home)
    return replace(
        info,
        password_file=stored if stored.is_file() and not password.legacy else None,
        default_password=password.legacy,
    )
