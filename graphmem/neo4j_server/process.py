"""Process control: running helper programs, and the server JVM's life (spawn, alive, stop).

Servers started by this process are kept as Popen objects: polling them reaps them, so an
exited server is not mistaken for a live one (a zombie still answers os.kill(pid, 0)).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from graphmem.errors import Neo4jLauncherError

LOG_TAIL_LINES = 30
# The server and its admin tool create files readable by their owner only (store files,
# logs, auth.ini): the database must not be readable by other local users.
OWNER_ONLY_UMASK = 0o077
# Every server process's command line names its entry point in this package.
ENTRY_POINT_PACKAGE = "org.neo4j.server."

_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def run(
    cmd: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    umask: int = -1,
) -> subprocess.CompletedProcess[str]:
    """Run a helper program to completion, its output captured; failing to run it at all
    (missing, timed out) is a Neo4jLauncherError. ``umask`` -1 keeps this process's."""
    try:
        return subprocess.run(
            list(cmd),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            umask=umask,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Neo4jLauncherError(f"`{cmd[0]}` could not be run: {exc}") from exc


def spawn(cmd: Sequence[str], home: Path) -> subprocess.Popen[bytes]:
    """Start the server detached from this process's session, output to logs/console.log."""
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # Truncated per start, so the tail quoted in errors belongs to this start.
    with open(logs / "console.log", "wb") as console:
        proc = subprocess.Popen(
            list(cmd),
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=OWNER_ONLY_UMASK,
        )
    _CHILDREN[proc.pid] = proc
    return proc


def stop_pid(pid: int, home: Path, timeout_s: float) -> bool:
    """SIGTERM (Neo4j shuts down cleanly), then SIGKILL after timeout_s."""
    if not pid_alive(pid, home):
        return False
    _signal(pid, signal.SIGTERM)
    if wait_until(lambda: not pid_alive(pid, home), timeout_s):
        return True
    _signal(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid, home), 10)
    return True


def pid_alive(pid: int, home: Path) -> bool:
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
        return ENTRY_POINT_PACKAGE in text and f"--home-dir={home}" in text
    return True


def log_tail(home: Path) -> str:
    """The last lines of the console output and of neo4j.log, for error messages."""
    parts = []
    for path in (home / "logs" / "console.log", home / "logs" / "neo4j.log"):
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            tail = "\n".join(lines[-LOG_TAIL_LINES:])
            parts.append(f"Last lines of {path}:\n{tail}")
    return "\n".join(parts) or f"No log was written under {home / 'logs'}."


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
