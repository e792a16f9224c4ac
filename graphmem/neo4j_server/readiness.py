"""Readiness: a server is up when the driver's verify_connectivity() succeeds and HTTP answers.

Failures carry the tail of the server's log, so the reason is in the message.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.docker import docker_log_tail
from graphmem.neo4j_server.process import log_tail
from graphmem.neo4j_server.state import NEO4J_USER, ServerInfo


class PasswordRefused(Neo4jLauncherError):
    """The server answers but refuses the password."""


def wait_for_bolt(
    info: ServerInfo, password: str, deadline: float, alive: Callable[[], bool]
) -> None:
    """Poll verify_connectivity() until Bolt answers; fail fast if the server died."""
    last_error: Exception | None = None
    with GraphDatabase.driver(
        info.uri, auth=(NEO4J_USER, password), connection_timeout=2.0
    ) as driver:
        while time.monotonic() < deadline:
            if not alive():
                raise failure(info, "the Neo4j server exited during start-up")
            try:
                driver.verify_connectivity()
                return
            except AuthError as exc:
                raise auth_failure(info) from exc
            except (DriverError, Neo4jError, OSError) as exc:
                last_error = exc
            time.sleep(0.25)
    raise failure(info, f"Neo4j did not answer on {info.uri} in time (last error: {last_error})")


def wait_for_http(info: ServerInfo, deadline: float) -> None:
    """Bolt comes up a moment before HTTP; wait so browser_url works when start() returns."""
    while time.monotonic() < deadline:
        if http_version(info.http_port) is not None:
            return
        time.sleep(0.25)
    raise failure(info, f"Neo4j's HTTP port {info.http_port} did not answer in time")


def http_version(http_port: int) -> str | None:
    """The server version from the HTTP discovery document, None when it does not answer."""
    url = f"http://127.0.0.1:{http_port}/"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return str(json.load(response).get("neo4j_version") or "unknown")
    except (OSError, ValueError, urllib.error.URLError):
        return None


def opens_with(info: ServerInfo, password: str) -> bool:
    """True when the running server accepts ``password``."""
    try:
        with GraphDatabase.driver(info.uri, auth=(NEO4J_USER, password)) as driver:
            driver.verify_connectivity()
    except (DriverError, Neo4jError, OSError):
        return False
    return True


def auth_failure(info: ServerInfo) -> Neo4jLauncherError:
    return PasswordRefused(
        f"Neo4j at {info.uri} refused the password. The database under {info.home / 'data'} "
        "keeps the password it was first created with: pass that password, or stop the server "
        "and delete that directory to start afresh"
    )


def failure(info: ServerInfo, message: str) -> Neo4jLauncherError:
    if info.mode == "docker":
        tail = docker_log_tail(info.container_id)
        return Neo4jLauncherError(f"{message}. Last lines of `docker logs`:\n{tail}")
    return Neo4jLauncherError(f"{message}. {log_tail(info.home)}")
