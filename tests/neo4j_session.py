"""pytest plugin: one real Neo4j server for the whole test session.

With GRAPHMEM_TEST_NEO4J_URI set (plus GRAPHMEM_TEST_NEO4J_USER / _PASSWORD, default
neo4j / graphmem-local) the tests use that server. Otherwise the no-Docker launcher starts one
in a session temp directory on free ports, with the session's random password
(SESSION_PASSWORD, passed explicitly), and stops it at the end. The jars it runs from are
cached under the user cache dir, so only the first run on a machine waits for Maven.

GRAPHMEM_TEST_NEO4J_HEAP / _PAGECACHE size the launched server (default 512m / 128m).

A second server, ``neo4j_search_server``, is a newer Neo4j (GRAPHMEM_TEST_NEO4J_SEARCH_VERSION,
default 2026.08.1) for the tests of the SEARCH clause. It starts only when a test asks for it,
in the same way on its own free ports (or GRAPHMEM_TEST_NEO4J_SEARCH_URI names one). It needs
Java 21+: JAVA_HOME or PATH when new enough, else GRAPHMEM_TEST_NEO4J_JAVA_HOME, else the
newest suitable JDK in the usual install places; with none, its tests skip and say why.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from graphmem import neo4j_server as launcher
from graphmem.config import LEGACY_NEO4J_PASSWORD
from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server import ServerInfo

SEARCH_VERSION = os.environ.get("GRAPHMEM_TEST_NEO4J_SEARCH_VERSION", "2026.08.1")
# The password of every server the tests launch (their own, in temp homes).
SESSION_PASSWORD = secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Neo4jTarget:
    """Where the tests' Neo4j listens. ``info`` is set when this session launched it."""

    uri: str
    user: str
    password: str
    info: ServerInfo | None = None


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on right now, distinct from each other."""
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]


def _external(prefix: str) -> Neo4jTarget | None:
    uri = os.environ.get(f"{prefix}_URI")
    if not uri:
        return None
    return Neo4jTarget(
        uri=uri,
        user=os.environ.get(f"{prefix}_USER", "neo4j"),
        password=os.environ.get(f"{prefix}_PASSWORD", LEGACY_NEO4J_PASSWORD),
    )


def _launched(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    version: str = launcher.NEO4J_VERSION,
    java_home: Path | None = None,
) -> Iterator[Neo4jTarget]:
    home = tmp_path_factory.mktemp(name)
    bolt_port, http_port = free_ports(2)
    info = launcher.start(
        home,
        bolt_port=bolt_port,
        http_port=http_port,
        password=SESSION_PASSWORD,
        heap=os.environ.get("GRAPHMEM_TEST_NEO4J_HEAP", "512m"),
        pagecache=os.environ.get("GRAPHMEM_TEST_NEO4J_PAGECACHE", "128m"),
        prefer_docker=False,
        version=version,
        java_home=java_home,
    )
    try:
        yield Neo4jTarget(uri=info.uri, user=info.user, password=SESSION_PASSWORD, info=info)
    finally:
        launcher.stop(home)


def java_home_for(version: str) -> Path | None:
    """A JDK that runs `version`: None when JAVA_HOME/PATH already do; skips when none does."""
    explicit = os.environ.get("GRAPHMEM_TEST_NEO4J_JAVA_HOME")
    if explicit:
        return Path(explicit)
    try:
        launcher.find_java(version)
        return None
    except Neo4jLauncherError as exc:
        reason = str(exc)
    needed = launcher.required_java(version)
    for home, major in launcher.installed_javas():
        if major >= needed:
            return home
    pytest.skip(f"no Java {needed}+ to run Neo4j {version}: {reason}")


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jTarget]:
    """The session's Neo4j: the external one named by env, or a launched one."""
    external = _external("GRAPHMEM_TEST_NEO4J")
    if external is not None:
        yield external
        return
    yield from _launched(tmp_path_factory, "neo4j")


@pytest.fixture(scope="session")
def neo4j_search_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jTarget]:
    """A Neo4j with the SEARCH clause and in-index filters (2026.06+), started on first use."""
    external = _external("GRAPHMEM_TEST_NEO4J_SEARCH")
    if external is not None:
        yield external
        return
    java_home = java_home_for(SEARCH_VERSION)
    yield from _launched(tmp_path_factory, "neo4j-search", SEARCH_VERSION, java_home)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server: Neo4jTarget) -> Iterator[Driver]:
    """A driver for the session's Neo4j, closed at the end of the session."""
    driver = GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password))
    try:
        driver.verify_connectivity()
        yield driver
    finally:
        driver.close()
