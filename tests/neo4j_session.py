"""pytest plugin: one real Neo4j server for the whole test session.

With GRAPHMEM_TEST_NEO4J_URI set (plus GRAPHMEM_TEST_NEO4J_USER / _PASSWORD, default
neo4j / graphmem-local) the tests use that server. Otherwise the no-Docker launcher starts one
in a session temp directory on free ports and stops it at the end. The jars it runs from are
cached under the user cache dir, so only the first run on a machine waits for Maven.

GRAPHMEM_TEST_NEO4J_HEAP / _PAGECACHE size the launched server (default 512m / 128m).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from neo4j import Driver, GraphDatabase

from graphmem import neo4j_server as launcher
from graphmem.config import LOCAL_NEO4J_PASSWORD
from graphmem.neo4j_server import ServerInfo


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


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jTarget]:
    """The session's Neo4j: the external one named by env, or a launched one."""
    uri = os.environ.get("GRAPHMEM_TEST_NEO4J_URI")
    if uri:
        yield Neo4jTarget(
            uri=uri,
            user=os.environ.get("GRAPHMEM_TEST_NEO4J_USER", "neo4j"),
            password=os.environ.get("GRAPHMEM_TEST_NEO4J_PASSWORD", LOCAL_NEO4J_PASSWORD),
        )
        return
    home = tmp_path_factory.mktemp("neo4j")
    bolt_port, http_port = free_ports(2)
    info = launcher.start(
        home,
        bolt_port=bolt_port,
        http_port=http_port,
        heap=os.environ.get("GRAPHMEM_TEST_NEO4J_HEAP", "512m"),
        pagecache=os.environ.get("GRAPHMEM_TEST_NEO4J_PAGECACHE", "128m"),
        prefer_docker=False,
    )
    try:
        yield Neo4jTarget(uri=info.uri, user=info.user, password=LOCAL_NEO4J_PASSWORD, info=info)
    finally:
        launcher.stop(home)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server: Neo4jTarget) -> Iterator[Driver]:
    """A driver for the session's Neo4j, closed at the end of the session."""
    driver = GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password))
    try:
        driver.verify_connectivity()
        yield driver
    finally:
        driver.close()
