"""Docker mode: ``docker compose`` with docker/compose.yml, used when a daemon answers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.conf import LOOPBACK, ensure_ports_free
from graphmem.neo4j_server.jars import compose_file
from graphmem.neo4j_server.process import LOG_TAIL_LINES, run
from graphmem.neo4j_server.state import NEO4J_VERSION, ServerInfo

COMPOSE_PROJECT = "graphmem"
COMPOSE_SERVICE = "neo4j"


def docker_available() -> bool:
    """True when a Docker daemon answers and the compose plugin is installed."""
    if shutil.which("docker") is None:
        return False
    try:
        info = run(["docker", "info"], timeout=20)
        compose = run(["docker", "compose", "version"], timeout=20)
    except Neo4jLauncherError:
        return False
    return info.returncode == 0 and compose.returncode == 0


def compose_up(
    home: Path,
    bolt_port: int,
    http_port: int,
    password: str,
    heap: str,
    pagecache: str,
    version: str = NEO4J_VERSION,
    listen_address: str = LOOPBACK,
) -> ServerInfo:
    """Start the compose service; the caller waits for it to answer."""
    ensure_ports_free(bolt_port, http_port, listen_address)
    env = {
        **os.environ,
        "GRAPHMEM_NEO4J_PASSWORD": password,
        "GRAPHMEM_NEO4J_LISTEN_ADDRESS": listen_address,
        "GRAPHMEM_NEO4J_BOLT_PORT": str(bolt_port),
        "GRAPHMEM_NEO4J_HTTP_PORT": str(http_port),
        "GRAPHMEM_NEO4J_HEAP": heap,
        "GRAPHMEM_NEO4J_PAGECACHE": pagecache,
    }
    # compose.yml runs neo4j:${GRAPHMEM_NEO4J_VERSION:-5.26}-community: the default keeps
    # the 5.26 image (and volume) it always used; another version picks that image tag.
    env.pop("GRAPHMEM_NEO4J_VERSION", None)
    if version != NEO4J_VERSION:
        env["GRAPHMEM_NEO4J_VERSION"] = version
    _compose(["up", "-d", COMPOSE_SERVICE], env=env)
    container_id = _compose(["ps", "-q", COMPOSE_SERVICE], env=env)
    return ServerInfo.on_loopback(
        "docker", home, bolt_port, http_port, container_id=container_id, version=version
    )


def container_running(container_id: str | None) -> bool:
    if not container_id or shutil.which("docker") is None:
        return False
    result = run(["docker", "inspect", "-f", "{{.State.Running}}", container_id], timeout=30)
    return result.returncode == 0 and result.stdout.strip() == "true"


def stop_container(container_id: str | None, timeout_s: float) -> bool:
    if not container_running(container_id):
        return False
    # compose.yml requires a password to be set for any command; stopping uses none.
    env = {**os.environ, "GRAPHMEM_NEO4J_PASSWORD": "unused-by-stop"}
    _compose(["stop", "-t", str(int(timeout_s)), COMPOSE_SERVICE], env=env, timeout=timeout_s + 60)
    return True


def docker_log_tail(container_id: str | None) -> str:
    if not container_id:
        return ""
    result = run(["docker", "logs", "--tail", str(LOG_TAIL_LINES), container_id], timeout=30)
    return (result.stdout + result.stderr).strip()


def _compose(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 300) -> str:
    cmd = ["docker", "compose", "-f", str(compose_file()), "-p", COMPOSE_PROJECT, *args]
    result = run(cmd, timeout=timeout, env=env)
    if result.returncode != 0:
        raise Neo4jLauncherError(
            f"`{' '.join(cmd)}` failed: {(result.stderr or result.stdout).strip()}"
        )
    return result.stdout.strip()
