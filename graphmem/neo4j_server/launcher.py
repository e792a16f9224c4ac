"""Launcher mode (no Docker): ``java -cp <jars> <entry point>`` detached, for one home.

The home holds conf/neo4j.conf (written on every start), data/, logs/ and the state file.
The launcher targets POSIX systems (Linux, macOS).
"""

from __future__ import annotations

import os
from pathlib import Path

from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.conf import LOOPBACK, ensure_ports_free, server_command, write_conf
from graphmem.neo4j_server.credentials import Password, password_path
from graphmem.neo4j_server.jars import ADMIN_TOOL, classpath, ensure_jars, entry_point
from graphmem.neo4j_server.process import OWNER_ONLY_UMASK, run, spawn, stop_pid
from graphmem.neo4j_server.readiness import wait_for_bolt, wait_for_http
from graphmem.neo4j_server.state import NEO4J_VERSION, ServerInfo, clear_state, write_state
from graphmem.neo4j_server.versions import find_java


def start_launcher(
    home: Path,
    bolt_port: int,
    http_port: int,
    password: Password,
    heap: str,
    pagecache: str,
    deadline: float,
    version: str = NEO4J_VERSION,
    java_home: Path | str | None = None,
    listen_address: str = LOOPBACK,
) -> ServerInfo:
    """Run the server from Maven Central's jars and wait until Bolt and HTTP answer; a start
    that fails (or is abandoned) leaves no server behind."""
    ensure_ports_free(bolt_port, http_port, listen_address)
    java, _ = find_java(version, java_home)
    lib = ensure_jars(version)
    write_conf(home, lib, bolt_port, http_port, heap, pagecache, listen_address)
    if not database_exists(home):
        _set_initial_password(java, lib, home, password.value)
    proc = spawn(server_command(java, lib, home, heap, entry_point(lib)), home)
    info = ServerInfo.on_loopback(
        "launcher",
        home,
        bolt_port,
        http_port,
        pid=proc.pid,
        log_path=home / "logs" / "neo4j.log",
        version=version,
        password_file=None if password.legacy else password_path(home),
        default_password=password.legacy,
    )
    write_state(home, info)
    try:
        wait_for_bolt(info, password.value, deadline, alive=lambda: proc.poll() is None)
        wait_for_http(info, deadline)
    except BaseException:  # also Ctrl-C: a start the caller abandoned leaves no server behind
        stop_pid(proc.pid, home, timeout_s=30)
        clear_state(home)
        raise
    return info


def database_exists(home: Path) -> bool:
    """True once the server has created its databases (and kept its first password)."""
    return (home / "data" / "databases").exists()


def _set_initial_password(java: str, lib: Path, home: Path, password: str) -> None:
    """neo4j-admin dbms set-initial-password, run in-process from the same jars. The
    password follows "--": a random one starts with "-" once in 64, which neo4j-admin
    would otherwise read as an option."""
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    admin = [java, "-cp", classpath(lib), ADMIN_TOOL, "dbms", "set-initial-password"]
    cmd = [*admin, "--", password]
    result = run(cmd, timeout=120, env=env, cwd=home, umask=OWNER_ONLY_UMASK)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).replace(password, "********").strip()
        raise Neo4jLauncherError(f"setting the initial Neo4j password failed: {output}")
