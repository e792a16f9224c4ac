"""Start, stop and inspect a local Neo4j server for graphmem.

Two ways to run it, both the real Neo4j Community engine:

- ``docker``: ``docker compose`` with docker/compose.yml, used when ``docker info`` answers.
- ``launcher``: no Docker. Maven fetches the server jars from Maven Central once (cached under
  the user cache dir), then ``java -cp <jars> <entry point>`` runs detached, with a neo4j.conf
  written under ``home/conf``. The entry point is the one the jars declare
  (org.neo4j.server.CommunityEntryPoint on 5.x, org.neo4j.server.Neo4jCommunity on 2026.x).

The version is 5.26.30 (the LTS) unless ``version=`` names another one on Maven Central:
5.x runs on Java 17+, calendar versions (2025.01 and later) on Java 21+. The Java is
``java_home=`` if given, else $JAVA_HOME, else ``java`` on PATH; one too old is an error that
names the Java needed and any suitable JDK installed in the usual places.

Each server owns a home directory holding its configuration, data, logs and a state file, so
``start`` is idempotent per home and ``stop``/``status`` work from another process.
The launcher targets POSIX systems (Linux, macOS).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

import graphmem
from graphmem.config import (
    DEFAULT_NEO4J_VERSION,
    LOCAL_NEO4J_PASSWORD,
    NEO4J_VERSION_PATTERN,
    default_data_dir,
)
from graphmem.errors import Neo4jLauncherError

__all__ = [
    "NEO4J_VERSION",
    "ServerInfo",
    "ServerStatus",
    "check_version",
    "compose_file",
    "ensure_jars",
    "entry_point",
    "find_java",
    "installed_javas",
    "java_major_version",
    "launcher_project_dir",
    "required_java",
    "start",
    "status",
    "stop",
]

NEO4J_VERSION = DEFAULT_NEO4J_VERSION
NEO4J_USER = "neo4j"
MIN_JAVA = 17  # Neo4j 5.x
MIN_JAVA_CALENDAR = 21  # Neo4j 2025.01 and later (Java 25 from 2025.10)
FIRST_CALENDAR_MAJOR = 2025
# The 5.x entry point; other versions name theirs in the jar's service file (ENTRY_POINT_SERVICE).
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ENTRY_POINT_SERVICE = "META-INF/services/org.neo4j.server.startup.EntryPoint"
_ENTRY_POINT_PACKAGE = "org.neo4j.server."
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
STATE_FILE = "graphmem-neo4j.json"
PID_FILE = "graphmem-neo4j.pid"
COMPOSE_PROJECT = "graphmem"
COMPOSE_SERVICE = "neo4j"
LIB_DIR_ENV = "GRAPHMEM_NEO4J_LIB_DIR"
LOG_TAIL_LINES = 30
_RESOLVED_MARKER = ".graphmem-resolved"
_MEMORY_SIZE = re.compile(r"^([1-9][0-9]*)([kKmMgG])$")
_VERSION = re.compile(NEO4J_VERSION_PATTERN)
# org.neo4j:neo4j's own jar (neo4j-5.26.30.jar), not neo4j-kernel-api-... and the like.
_SERVER_JAR = re.compile(r"^neo4j-([0-9][0-9.]*)\.jar$")
_JAVA_RELEASE = re.compile(r'^JAVA_VERSION="(\d+)(?:\.(\d+))?', re.MULTILINE)
# Where JDKs are usually installed (Debian/Ubuntu, RHEL, Docker images, macOS, SDKMAN, IntelliJ).
JDK_DIRS: tuple[str, ...] = (
    "/usr/lib/jvm",
    "/usr/java",
    "/opt/java",
    "/Library/Java/JavaVirtualMachines",
    "~/.sdkman/candidates/java",
    "~/.jdks",
)
_SIZE_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
# The JVM starts with at most this much heap and grows to `heap` when needed: a heap that
# starts at its maximum doubles an idle server's RSS (measured: ~610 MB vs ~330 MB at 512m).
MAX_INITIAL_HEAP = "128m"

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

Mode = Literal["docker", "launcher"]

# Servers started by this process: polling their Popen reaps them, so an exited server is
# not mistaken for a live one (a zombie still answers os.kill(pid, 0)).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ServerInfo:
    """A running server started by :func:`start`."""

    uri: str
    browser_url: str
    mode: Mode
    home: Path
    bolt_port: int
    http_port: int
    pid: int | None = None
    container_id: str | None = None
    log_path: Path | None = None
    user: str = NEO4J_USER
    version: str = NEO4J_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ServerStatus:
    """What :func:`status` found under a home directory."""

    running: bool
    home: Path
    mode: Mode | None = None
    pid: int | None = None
    container_id: str | None = None
    uri: str | None = None
    browser_url: str | None = None
    version: str | None = None
    log_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return _jsonable(asdict(self))


# --------------------------------------------------------------------------- public API


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
    home = _resolve_home(home)
    _validate_options(bolt_port, http_port, heap, pagecache)
    check_version(version)
    home.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    running = _running_info(home)
    if running is not None:
        if running.version != version:
            raise Neo4jLauncherError(
                f"Neo4j {running.version} already runs for {home}, not {version}: stop it "
                "first (`graphmem neo4j stop`), or give the other version its own home"
            )
        _wait_for_bolt(running, password, deadline, alive=lambda: True)
        return running
    if prefer_docker and _docker_available():
        return _start_docker(
            home, bolt_port, http_port, password, heap, pagecache, deadline, version
        )
    return _start_launcher(
        home, bolt_port, http_port, password, heap, pagecache, deadline, version, java_home
    )


def stop(home: Path | None = None, timeout_s: float = 60) -> bool:
    """Stop the server started for ``home``. Returns False when none was running."""
    home = _resolve_home(home)
    state = _read_state(home)
    info = _info_from_state(state) if state is not None else None
    if info is None:
        _clear_state(home)
        return False
    if info.mode == "docker":
        stopped = _stop_docker(info.container_id, timeout_s)
    else:
        stopped = info.pid is not None and _stop_pid(info.pid, home, timeout_s)
    _clear_state(home)
    return stopped


def status(home: Path | None = None) -> ServerStatus:
    """Report whether the server for ``home`` runs, and its version when it answers."""
    home = _resolve_home(home)
    info = _running_info(home)
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
        version=_http_version(info.http_port),
        log_path=info.log_path,
    )


def launcher_project_dir() -> Path:
    """The Maven project naming the server jars: package data first, then the checkout."""
    package_dir = Path(graphmem.__file__).resolve().parent
    candidates = (
        package_dir / "docker" / "neo4j-launcher",
        package_dir.parent / "docker" / "neo4j-launcher",
    )
    for candidate in candidates:
        if (candidate / "pom.xml").is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise Neo4jLauncherError(f"the Neo4j launcher project (pom.xml) is missing; looked in {looked}")


def compose_file() -> Path:
    """docker/compose.yml, next to the launcher project."""
    return launcher_project_dir().parent / "compose.yml"


def ensure_jars(version: str = NEO4J_VERSION) -> Path:
    """The directory holding Neo4j's jars, fetched with Maven on first use.

    ``GRAPHMEM_NEO4J_LIB_DIR`` names a directory to use instead of the shared cache
    (``<user cache dir>/neo4j-<version>-lib``); if it holds jars, Maven is not needed, and
    they must be this version's.
    """
    check_version(version)
    override = os.environ.get(LIB_DIR_ENV)
    if override and any(Path(override).glob("*.jar")):
        found = _jar_version(Path(override))
        if found is not None and found != version:
            raise Neo4jLauncherError(
                f"{LIB_DIR_ENV}={override} holds the jars of Neo4j {found}, not {version}: "
                f"unset {LIB_DIR_ENV} (each version is cached apart) or point it elsewhere"
            )
        return Path(override)
    lib = Path(override) if override else _default_lib_dir(version)
    if (lib / _RESOLVED_MARKER).is_file():
        return lib
    partial = lib.with_name(f"{lib.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    _run_maven(partial, version)
    (partial / _RESOLVED_MARKER).write_text(version + "\n", encoding="utf-8")
    _publish_dir(partial, lib)
    return lib


def check_version(version: str) -> None:
    """Refuse what is not a Neo4j 5.x or calendar (2025.01+) release number."""
    match = _VERSION.match(version) if isinstance(version, str) else None
    major = int(version.split(".")[0]) if match else 0
    if major != 5 and major < FIRST_CALENDAR_MAJOR:
        raise Neo4jLauncherError(
            f"Neo4j version {version!r} is not one graphmem runs: name a 5.x release "
            f"(default {NEO4J_VERSION}) or a 2025.01-or-later one such as 2026.08.1, "
            "as published on Maven Central (org.neo4j:neo4j)"
        )


def required_java(version: str = NEO4J_VERSION) -> int:
    """The oldest Java major the Neo4j version runs on: 17 for 5.x, 21 from 2025.01."""
    check_version(version)
    calendar = int(version.split(".")[0]) >= FIRST_CALENDAR_MAJOR
    return MIN_JAVA_CALENDAR if calendar else MIN_JAVA


def find_java(version: str = NEO4J_VERSION, java_home: Path | str | None = None) -> tuple[str, int]:
    """The java executable for Neo4j ``version`` and its major version.

    ``java_home`` first (it must hold bin/java), then $JAVA_HOME, then PATH. Raises
    Neo4jLauncherError when none is found or it is older than ``required_java(version)``;
    the message names the Java needed and suitable JDKs found in the usual places.
    """
    needed = required_java(version)
    if java_home is not None:
        java = Path(java_home).expanduser() / "bin" / "java"
        if not java.is_file():
            raise Neo4jLauncherError(f"{java_home} is not a JDK: it has no bin/java")
        candidate: str | None = str(java)
    else:
        candidate = _java_candidate()
    if candidate is None:
        raise Neo4jLauncherError(
            f"Java {needed} or newer is needed to run Neo4j {version} without Docker, and "
            f"none was found: install a JDK (e.g. apt-get install openjdk-{needed}-jre-headless) "
            f"or set JAVA_HOME{_suitable_javas_hint(needed)}"
        )
    result = _run([candidate, "-version"], timeout=60)
    major = java_major_version(result.stderr + result.stdout)
    if major < needed:
        raise Neo4jLauncherError(
            f"{candidate} is Java {major}; Neo4j {version} needs Java {needed} or newer. "
            "Install a newer JDK and point JAVA_HOME at it (or, for graphmem only, "
            f"GRAPHMEM_NEO4J_JAVA_HOME / `graphmem neo4j start --java-home`)"
            f"{_suitable_javas_hint(needed)}"
        )
    return candidate, major


def installed_javas() -> list[tuple[Path, int]]:
    """JDKs in the usual install places (JDK_DIRS) as (java home, major), newest first.

    Read from each JDK's ``release`` file, so no JVM is started.
    """
    found: dict[Path, int] = {}
    for root in JDK_DIRS:
        base = Path(root).expanduser()
        try:
            children = sorted(base.iterdir()) if base.is_dir() else []
        except OSError:
            continue
        for child in children:
            home = child / "Contents" / "Home" if (child / "Contents" / "Home").is_dir() else child
            major = _release_major(home)
            if major is not None and (home / "bin" / "java").is_file():
                found.setdefault(home.resolve(), major)
    return sorted(found.items(), key=lambda item: (-item[1], str(item[0])))


def entry_point(lib: Path) -> str:
    """The server main class the jars in ``lib`` declare (ENTRY_POINT when none does)."""
    for jar in sorted(lib.glob("neo4j-*.jar")):
        if not _SERVER_JAR.match(jar.name):
            continue
        try:
            with zipfile.ZipFile(jar) as archive:
                text = archive.read(ENTRY_POINT_SERVICE).decode("utf-8")
        except (KeyError, OSError, zipfile.BadZipFile, UnicodeDecodeError):
            continue
        for line in text.splitlines():
            name = line.split("#", 1)[0].strip()
            if name.startswith(_ENTRY_POINT_PACKAGE) and name.replace(".", "").isidentifier():
                return name
    return ENTRY_POINT


def java_major_version(version_output: str) -> int:
    """The major version in ``java -version`` output ("1.8.0_392" -> 8, "17.0.15" -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        raise Neo4jLauncherError(f"cannot read the Java version from: {version_output.strip()!r}")
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


# ------------------------------------------------------------------------ launcher mode


def _start_launcher(
    home: Path,
    bolt_port: int,
    http_port: int,
    password: str,
    heap: str,
    pagecache: str,
    deadline: float,
    version: str = NEO4J_VERSION,
    java_home: Path | str | None = None,
) -> ServerInfo:
    _ensure_ports_free(bolt_port, http_port)
    java, _ = find_java(version, java_home)
    lib = ensure_jars(version)
    _write_conf(home, lib, bolt_port, http_port, heap, pagecache)
    if not (home / "data" / "databases").exists():
        _set_initial_password(java, lib, home, password)
    proc = _spawn(java, lib, home, heap, entry_point(lib))
    info = ServerInfo(
        uri=f"bolt://127.0.0.1:{bolt_port}",
        browser_url=f"http://127.0.0.1:{http_port}/browser/",
        mode="launcher",
        home=home,
        bolt_port=bolt_port,
        http_port=http_port,
        pid=proc.pid,
        log_path=home / "logs" / "neo4j.log",
        version=version,
    )
    _write_state(home, info)
    try:
        _wait_for_bolt(info, password, deadline, alive=lambda: proc.poll() is None)
        _wait_for_http(info, deadline)
    except BaseException:  # also Ctrl-C: a start the caller abandoned leaves no server behind
        _stop_pid(proc.pid, home, timeout_s=30)
        _clear_state(home)
        raise
    return info


def _write_conf(
    home: Path, lib: Path, bolt_port: int, http_port: int, heap: str, pagecache: str
) -> None:
    """Write home/conf/neo4j.conf afresh, so ports and memory follow the latest start()."""
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "server.directories.data": home / "data",
        "server.directories.logs": home / "logs",
        "server.directories.run": home / "run",
        "server.directories.plugins": home / "plugins",
        "server.directories.import": home / "import",
        "server.directories.lib": lib,
        "server.default_listen_address": "127.0.0.1",
        # Browser connects to the advertised Bolt address; the default would say port 7687.
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{bolt_port}",
        "server.bolt.advertised_address": f"127.0.0.1:{bolt_port}",
        "server.http.enabled": "true",
        "server.http.listen_address": f"127.0.0.1:{http_port}",
        "server.http.advertised_address": f"127.0.0.1:{http_port}",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "dbms.usage_report.enabled": "false",
        # Read by Neo4j's own scripts only; here the JVM flags set the heap. Kept for the record.
        "server.memory.heap.initial_size": _initial_heap(heap),
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


def _set_initial_password(java: str, lib: Path, home: Path, password: str) -> None:
    """neo4j-admin dbms set-initial-password, run in-process from the same jars."""
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    cmd = [java, "-cp", _classpath(lib), ADMIN_TOOL, "dbms", "set-initial-password", password]
    result = _run(cmd, timeout=120, env=env, cwd=home)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).replace(password, "********").strip()
        raise Neo4jLauncherError(f"setting the initial Neo4j password failed: {output}")


def _spawn(
    java: str, lib: Path, home: Path, heap: str, main_class: str = ENTRY_POINT
) -> subprocess.Popen[bytes]:
    """Start the server detached from this process's session, output to logs/console.log."""
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = [
        java,
        f"-Xms{_initial_heap(heap)}",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        "-cp",
        _classpath(lib),
        main_class,
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
    ]
    # Truncated per start, so the tail quoted in errors belongs to this start.
    with open(logs / "console.log", "wb") as console:
        proc = subprocess.Popen(
            cmd,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    return proc


def _stop_pid(pid: int, home: Path, timeout_s: float) -> bool:
    """SIGTERM (Neo4j shuts down cleanly), then SIGKILL after timeout_s."""
    if not _pid_alive(pid, home):
        return False
    _signal(pid, signal.SIGTERM)
    if _wait_until(lambda: not _pid_alive(pid, home), timeout_s):
        return True
    _signal(pid, signal.SIGKILL)
    _wait_until(lambda: not _pid_alive(pid, home), 10)
    return True


def _pid_alive(pid: int, home: Path) -> bool:
    proc = _CHILDREN.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Guard against a recycled pid: the process must be our server for this home.
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return _ENTRY_POINT_PACKAGE in text and f"--home-dir={home}" in text
    return True


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


# -------------------------------------------------------------------------- docker mode


def _docker_available() -> bool:
    """True when a Docker daemon answers and the compose plugin is installed."""
    if shutil.which("docker") is None:
        return False
    try:
        info = _run(["docker", "info"], timeout=20)
        compose = _run(["docker", "compose", "version"], timeout=20)
    except Neo4jLauncherError:
        return False
    return info.returncode == 0 and compose.returncode == 0


def _compose(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 300) -> str:
    cmd = ["docker", "compose", "-f", str(compose_file()), "-p", COMPOSE_PROJECT, *args]
    result = _run(cmd, timeout=timeout, env=env)
    if result.returncode != 0:
        raise Neo4jLauncherError(
            f"`{' '.join(cmd)}` failed: {(result.stderr or result.stdout).strip()}"
        )
    return result.stdout.strip()


def _start_docker(
    home: Path,
    bolt_port: int,
    http_port: int,
    password: str,
    heap: str,
    pagecache: str,
    deadline: float,
    version: str = NEO4J_VERSION,
) -> ServerInfo:
    _ensure_ports_free(bolt_port, http_port)
    env = {
        **os.environ,
        "GRAPHMEM_NEO4J_PASSWORD": password,
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
    info = ServerInfo(
        uri=f"bolt://127.0.0.1:{bolt_port}",
        browser_url=f"http://127.0.0.1:{http_port}/browser/",
        mode="docker",
        home=home,
        bolt_port=bolt_port,
        http_port=http_port,
        container_id=container_id,
        version=version,
    )
    _write_state(home, info)
    _wait_for_bolt(info, password, deadline, alive=lambda: _container_running(container_id))
    _wait_for_http(info, deadline)
    return info


def _container_running(container_id: str | None) -> bool:
    if not container_id or shutil.which("docker") is None:
        return False
    result = _run(["docker", "inspect", "-f", "{{.State.Running}}", container_id], timeout=30)
    return result.returncode == 0 and result.stdout.strip() == "true"


def _stop_docker(container_id: str | None, timeout_s: float) -> bool:
    if not _container_running(container_id):
        return False
    _compose(["stop", "-t", str(int(timeout_s)), COMPOSE_SERVICE], timeout=timeout_s + 60)
    return True


def _docker_log_tail(container_id: str | None) -> str:
    if not container_id:
        return ""
    result = _run(["docker", "logs", "--tail", str(LOG_TAIL_LINES), container_id], timeout=30)
    return (result.stdout + result.stderr).strip()


# ------------------------------------------------------------------------ readiness


def _wait_for_bolt(
    info: ServerInfo, password: str, deadline: float, alive: Callable[[], bool]
) -> None:
    """Poll verify_connectivity() until Bolt answers; fail fast if the server died."""
    last_error: Exception | None = None
    with GraphDatabase.driver(
        info.uri, auth=(NEO4J_USER, password), connection_timeout=2.0
    ) as driver:
        while time.monotonic() < deadline:
            if not alive():
                raise _failure(info, "the Neo4j server exited during start-up")
            try:
                driver.verify_connectivity()
                return
            except AuthError as exc:
                raise _auth_failure(info) from exc
            except (DriverError, Neo4jError, OSError) as exc:
                last_error = exc
            time.sleep(0.25)
    raise _failure(info, f"Neo4j did not answer on {info.uri} in time (last error: {last_error})")


def _wait_for_http(info: ServerInfo, deadline: float) -> None:
    """Bolt comes up a moment before HTTP; wait so browser_url works when start() returns."""
    while time.monotonic() < deadline:
        if _http_version(info.http_port) is not None:
            return
        time.sleep(0.25)
    raise _failure(info, f"Neo4j's HTTP port {info.http_port} did not answer in time")


def _http_version(http_port: int) -> str | None:
    """The server version from the HTTP discovery document, None when it does not answer."""
    url = f"http://127.0.0.1:{http_port}/"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return str(json.load(response).get("neo4j_version") or "unknown")
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _auth_failure(info: ServerInfo) -> Neo4jLauncherError:
    return Neo4jLauncherError(
        f"Neo4j at {info.uri} refused the password. The database under {info.home / 'data'} "
        "keeps the password it was first created with: pass that password, or stop the server "
        "and delete that directory to start afresh"
    )


def _failure(info: ServerInfo, message: str) -> Neo4jLauncherError:
    if info.mode == "docker":
        tail = _docker_log_tail(info.container_id)
        return Neo4jLauncherError(f"{message}. Last lines of `docker logs`:\n{tail}")
    return Neo4jLauncherError(f"{message}. {_log_tail(info.home)}")


def _log_tail(home: Path) -> str:
    """The last lines of the console output and of neo4j.log, for error messages."""
    parts = []
    for path in (home / "logs" / "console.log", home / "logs" / "neo4j.log"):
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            tail = "\n".join(lines[-LOG_TAIL_LINES:])
            parts.append(f"Last lines of {path}:\n{tail}")
    return "\n".join(parts) or f"No log was written under {home / 'logs'}."


# ---------------------------------------------------------------------------- state


def _resolve_home(home: Path | None) -> Path:
    chosen = Path(home).expanduser() if home is not None else default_data_dir() / "neo4j"
    return chosen.resolve()


def _read_state(home: Path) -> dict[str, Any] | None:
    path = home / STATE_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _write_state(home: Path, info: ServerInfo) -> None:
    data = {**info.to_dict(), "started_at": time.time(), "neo4j_version": info.version}
    tmp = home / f"{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(home / STATE_FILE)
    if info.pid is not None:
        (home / PID_FILE).write_text(f"{info.pid}\n", encoding="utf-8")


def _clear_state(home: Path) -> None:
    for name in (STATE_FILE, PID_FILE):
        (home / name).unlink(missing_ok=True)


def _running_info(home: Path) -> ServerInfo | None:
    """The recorded server for home if it still runs; a stale record is removed."""
    state = _read_state(home)
    if state is None:
        return None
    info = _info_from_state(state)
    if info is not None:
        running = (
            _container_running(info.container_id)
            if info.mode == "docker"
            else info.pid is not None and _pid_alive(info.pid, home)
        )
        if running:
            return info
    _clear_state(home)
    return None


def _info_from_state(state: dict[str, Any]) -> ServerInfo | None:
    try:
        return ServerInfo(
            uri=str(state["uri"]),
            browser_url=str(state["browser_url"]),
            mode=state["mode"],
            home=Path(state["home"]),
            bolt_port=int(state["bolt_port"]),
            http_port=int(state["http_port"]),
            pid=state.get("pid"),
            container_id=state.get("container_id"),
            log_path=Path(state["log_path"]) if state.get("log_path") else None,
            version=str(state.get("neo4j_version") or NEO4J_VERSION),
        )
    except (KeyError, TypeError, ValueError):
        return None


# ---------------------------------------------------------------------- checks, maven


def _validate_options(bolt_port: int, http_port: int, heap: str, pagecache: str) -> None:
    for name, port in (("bolt_port", bolt_port), ("http_port", http_port)):
        if not 0 < port < 65536:
            raise Neo4jLauncherError(f"{name}={port} is not a TCP port (1-65535)")
    if bolt_port == http_port:
        raise Neo4jLauncherError(f"bolt_port and http_port are both {bolt_port}; pick two ports")
    for name, size in (("heap", heap), ("pagecache", pagecache)):
        if not _MEMORY_SIZE.match(size):
            raise Neo4jLauncherError(f"{name}={size!r} is not a size like '512m' or '1g'")


def _ensure_ports_free(bolt_port: int, http_port: int) -> None:
    for port, what, setting in (
        (bolt_port, "Bolt", "bolt_port= (CLI --bolt-port, env GRAPHMEM_NEO4J_BOLT_PORT)"),
        (http_port, "HTTP/Browser", "http_port= (CLI --http-port, env GRAPHMEM_NEO4J_HTTP_PORT)"),
    ):
        if not _port_free(port):
            raise Neo4jLauncherError(
                f"port {port} on 127.0.0.1 is already in use, so Neo4j's {what} connector "
                f"cannot listen there; choose another port with {setting}"
            )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Netty binds with SO_REUSEADDR, so connections in TIME_WAIT do not block it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _java_candidate() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("java")


def _suitable_javas_hint(needed: int) -> str:
    suitable = [f"{home} (Java {major})" for home, major in installed_javas() if major >= needed]
    return f". Installed and new enough: {', '.join(suitable)}" if suitable else ""


def _release_major(java_home: Path) -> int | None:
    """The major version in a JDK's ``release`` file, None when there is none."""
    try:
        text = (java_home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = _JAVA_RELEASE.search(text)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def _jar_version(lib: Path) -> str | None:
    """The Neo4j version of the server jar in ``lib`` (neo4j-<version>.jar), if there is one."""
    for jar in lib.glob("neo4j-*.jar"):
        match = _SERVER_JAR.match(jar.name)
        if match:
            return match.group(1)
    return None


def _default_lib_dir(version: str) -> Path:
    return Path(platformdirs.user_cache_dir("graphmem")) / f"neo4j-{version}-lib"


def _run_maven(output_dir: Path, version: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jLauncherError(
            "Maven (mvn) is needed once, to fetch the Neo4j server jars from Maven Central: "
            f"install it (e.g. apt-get install maven), or set {LIB_DIR_ENV} to a directory "
            "that already holds them"
        )
    pom = launcher_project_dir() / "pom.xml"
    cmd = [
        mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}", f"-Dneo4j.version={version}",
    ]  # fmt: skip
    result = _run(cmd, timeout=1800)
    if result.returncode != 0:
        shutil.rmtree(output_dir, ignore_errors=True)
        output = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        raise Neo4jLauncherError(f"Maven could not fetch the Neo4j {version} jars:\n{output}")


def _publish_dir(partial: Path, final: Path) -> None:
    """Move a finished download into place; a concurrent finisher wins, ours is dropped."""
    if final.exists() and not (final / _RESOLVED_MARKER).is_file():
        shutil.rmtree(final, ignore_errors=True)
    try:
        partial.rename(final)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not (final / _RESOLVED_MARKER).is_file():
            raise Neo4jLauncherError(f"could not move the Neo4j jars into {final}") from None


# ---------------------------------------------------------------------------- helpers


def _run(
    cmd: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Neo4jLauncherError(f"`{cmd[0]}` could not be run: {exc}") from exc


def _classpath(lib: Path) -> str:
    # The JVM expands the trailing '*' itself, so the command line stays short.
    return str(lib / "*")


def _initial_heap(heap: str) -> str:
    return heap if _size_bytes(heap) < _size_bytes(MAX_INITIAL_HEAP) else MAX_INITIAL_HEAP


def _size_bytes(size: str) -> int:
    match = _MEMORY_SIZE.match(size)
    if match is None:
        raise Neo4jLauncherError(f"{size!r} is not a size like '512m' or '1g'")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def _conf_value(value: object) -> str:
    return value.as_posix() if isinstance(value, Path) else str(value)


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in data.items()}
