"""Configuration: the options a start accepts, the neo4j.conf it writes, the JVM it runs.

neo4j.conf is written afresh on every start (ports and memory follow the latest start()).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.jars import classpath

_MEMORY_SIZE = re.compile(r"^([1-9][0-9]*)([kKmMgG])$")
_SIZE_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
# The JVM starts with at most this much heap and grows to `heap` when needed: a heap that
# starts at its maximum doubles an idle server's RSS (measured: ~610 MB vs ~330 MB at 512m).
MAX_INITIAL_HEAP = "128m"
# Bolt and HTTP listen here unless asked otherwise: other machines cannot reach the server.
LOOPBACK = "127.0.0.1"

# The flags the packaged neo4j scripts pass (server.jvm.additional in the stock neo4j.conf),
# minus -XX:+AlwaysPreTouch: touching the whole heap up front would make a test server's
# RSS its maximum heap on a machine it shares with the test run itself. Added: exit on
# OutOfMemoryError (a dead server is reported with its log; a limping one is not) and UTF-8.
JVM_FLAGS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
    "-Dfile.encoding=UTF-8",
)


def validate_options(bolt_port: int, http_port: int, heap: str, pagecache: str) -> None:
    for name, port in (("bolt_port", bolt_port), ("http_port", http_port)):
        if not 0 < port < 65536:
            raise Neo4jLauncherError(f"{name}={port} is not a TCP port (1-65535)")
    if bolt_port == http_port:
        raise Neo4jLauncherError(f"bolt_port and http_port are both {bolt_port}; pick two ports")
    for name, size in (("heap", heap), ("pagecache", pagecache)):
        if not _MEMORY_SIZE.match(size):
            raise Neo4jLauncherError(f"{name}={size!r} is not a size like '512m' or '1g'")


def ensure_ports_free(bolt_port: int, http_port: int, address: str = LOOPBACK) -> None:
    for port, what, setting in (
        (bolt_port, "Bolt", "bolt_port= (CLI --bolt-port, env GRAPHMEM_NEO4J_BOLT_PORT)"),
        (http_port, "HTTP/Browser", "http_port= (CLI --http-port, env GRAPHMEM_NEO4J_HTTP_PORT)"),
    ):
        if not _port_free(port, address):
            raise Neo4jLauncherError(
                f"port {port} on {address} is already in use, so Neo4j's {what} connector "
                f"cannot listen there; choose another port with {setting}"
            )


def write_conf(
    home: Path,
    lib: Path,
    bolt_port: int,
    http_port: int,
    heap: str,
    pagecache: str,
    listen_address: str = LOOPBACK,
) -> None:
    """Write home/conf/neo4j.conf afresh, so ports and memory follow the latest start().

    Bolt and HTTP listen on ``listen_address`` (loopback unless asked); clients are told
    127.0.0.1. The HTTP API answers cross-origin requests only from Browser's own origin
    (its default, "*", lets any web page a user visits call it)."""
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "server.directories.data": home / "data",
        "server.directories.logs": home / "logs",
        "server.directories.run": home / "run",
        "server.directories.plugins": home / "plugins",
        "server.directories.import": home / "import",
        "server.directories.lib": lib,
        "server.default_listen_address": listen_address,
        # Browser connects to the advertised Bolt address; the default would say port 7687.
        "server.default_advertised_address": LOOPBACK,
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"{_host(listen_address)}:{bolt_port}",
        "server.bolt.advertised_address": f"{LOOPBACK}:{bolt_port}",
        "server.http.enabled": "true",
        "server.http.listen_address": f"{_host(listen_address)}:{http_port}",
        "server.http.advertised_address": f"{LOOPBACK}:{http_port}",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "dbms.security.http_access_control_allow_origin": browser_origin(http_port),
        "dbms.usage_report.enabled": "false",
        # Read by Neo4j's own scripts only; here the JVM flags set the heap. Kept for the record.
        "server.memory.heap.initial_size": initial_heap(heap),
        "server.memory.heap.max_size": heap,
        "server.memory.pagecache.size": pagecache,
        # Benchmarks write a lot; keep transaction logs from filling a small disk.
        "db.tx_log.rotation.retention_policy": "1G size",
        # Bolt otherwise lingers ~10 s in Netty's graceful shutdown on every stop. These
        # internal settings exist on 5.26 and 2026.x alike (checked against 2026.08.1, whose
        # strict config validation would refuse an unknown one). 2026.08.1 logs the first as
        # deprecated (renamed ..._quiet_period_duration, unknown to 5.26) and still obeys it.
        "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
        "internal.dbms.bolt.netty_server_shutdown_timeout": "2",
        "internal.server.bolt.connection_shutdown_wait_time": "0s",
        "internal.server.bolt.thread_pool_shutdown_wait_time": "0s",
    }
    lines = ["# Written by graphmem.neo4j_server on every start; edits are overwritten."]
    lines += [f"{key}={_conf_value(value)}" for key, value in settings.items()]
    (conf_dir / "neo4j.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")


def browser_origin(http_port: int) -> str:
    """The web origin Browser is served from, the one origin the HTTP API answers."""
    return f"http://{LOOPBACK}:{http_port}"


def server_command(java: str, lib: Path, home: Path, heap: str, main_class: str) -> list[str]:
    """The JVM command line that runs the server for ``home``."""
    return [
        java,
        f"-Xms{initial_heap(heap)}",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        "-cp",
        classpath(lib),
        main_class,
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
    ]


def initial_heap(heap: str) -> str:
    return heap if _size_bytes(heap) < _size_bytes(MAX_INITIAL_HEAP) else MAX_INITIAL_HEAP


def _size_bytes(size: str) -> int:
    match = _MEMORY_SIZE.match(size)
    if match is None:
        raise Neo4jLauncherError(f"{size!r} is not a size like '512m' or '1g'")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def _host(address: str) -> str:
    """An address as the host part of host:port (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


def _port_free(port: int, address: str) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Netty binds with SO_REUSEADDR, so connections in TIME_WAIT do not block it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _conf_value(value: object) -> str:
    return value.as_posix() if isinstance(value, Path) else str(value)
