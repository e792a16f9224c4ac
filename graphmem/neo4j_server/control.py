"""start / stop / status: the public verbs, choosing Docker or the launcher per home."""

from __future__ import annotations

import time
from pathlib import Path

from graphmem.config import LOCAL_NEO4J_PASSWORD
from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.conf import validate_options
from graphmem.neo4j_server.docker import (
    compose_up,
    container_running,
    docker_available,
    stop_container,
)
from graphmem.neo4j_server.launcher import start_launcher
from graphmem.neo4j_server.process import pid_alive, stop_pid
from graphmem.neo4j_server.readiness import http_version, wait_for_bolt, wait_for_http
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
    password: str = LOCAL_NEO4J_PASSWORD,
    heap: str = "512m",
    pagecache: str = "256m",
    timeout_s: float = 180,
    prefer_docker: bool = True,
    version: str = NEO4J_VERSION,
    java_home: Path | str | None = None,
) -> ServerInfo:
    """Start a Neo4j server for ``home`` (default ``<data dir>/neo4j``) and wait for Bolt.

    Idempotent: when a server started here is already running, its info is returned (after
    checking that ``password`` opens it, and that it runs ``version``). The password is the
    initial one; a database that already exists keeps the password it was created with.
    ``java_home`` picks the JDK for the launcher (default: $JAVA_HOME, then PATH).

    A database written by a newer Neo4j cannot be opened by an older one: give each version
    line its own ``home``.

    Raises:
        Neo4jLauncherError: Java (or a new enough one) or Maven missing, a port taken, the
            server died, timed out or refused the password. The message says what to change.
    """
    home = resolve_home(home)
    validate_options(bolt_port, http_port, heap, pagecache)
    check_version(version)
    home.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    running = running_info(home)
    if running is not None:
        if running.version != version:
            raise Neo4jLauncherError(
                f"Neo4j {running.version} already runs for {home}, not {version}: stop it "
                "first (`graphmem neo4j stop`), or give the other version its own home"
            )
        wait_for_bolt(running, password, deadline, alive=lambda: True)
        return running
    if prefer_docker and docker_available():
        info = compose_up(home, bolt_port, http_port, password, heap, pagecache, version)
        write_state(home, info)
        wait_for_bolt(info, password, deadline, alive=lambda: container_running(info.container_id))
        wait_for_http(info, deadline)
        return info
    return start_launcher(
        home, bolt_port, http_port, password, heap, pagecache, deadline, version, java_home
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
