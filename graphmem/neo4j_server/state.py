"""What a server home records about its server: ServerInfo / ServerStatus and the state file.

The state file (``graphmem-neo4j.json``) lets ``stop`` and ``status`` find a server that
another process started; the pid file is for humans and init scripts.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from graphmem.config import DEFAULT_NEO4J_VERSION, default_data_dir

NEO4J_VERSION = DEFAULT_NEO4J_VERSION
NEO4J_USER = "neo4j"
STATE_FILE = "graphmem-neo4j.json"
PID_FILE = "graphmem-neo4j.pid"

Mode = Literal["docker", "launcher"]


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
    # The file holding the password (None: the password is not stored, see default_password).
    password_file: Path | None = None
    # True when the database still has the old shared default password (rotate it).
    default_password: bool = False

    @classmethod
    def on_loopback(
        cls, mode: Mode, home: Path, bolt_port: int, http_port: int, **details: Any
    ) -> ServerInfo:
        """A server clients reach on 127.0.0.1 at these ports."""
        return cls(
            uri=f"bolt://127.0.0.1:{bolt_port}",
            browser_url=f"http://127.0.0.1:{http_port}/browser/",
            mode=mode,
            home=home,
            bolt_port=bolt_port,
            http_port=http_port,
            **details,
        )

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
    password_file: Path | None = None
    default_password: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return _jsonable(asdict(self))


def resolve_home(home: Path | None) -> Path:
    chosen = Path(home).expanduser() if home is not None else default_data_dir() / "neo4j"
    return chosen.resolve()


def read_state(home: Path) -> dict[str, Any] | None:
    path = home / STATE_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def write_state(home: Path, info: ServerInfo) -> None:
    data = {**info.to_dict(), "started_at": time.time(), "neo4j_version": info.version}
    tmp = home / f"{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(home / STATE_FILE)
    if info.pid is not None:
        (home / PID_FILE).write_text(f"{info.pid}\n", encoding="utf-8")


def clear_state(home: Path) -> None:
    for name in (STATE_FILE, PID_FILE):
        (home / name).unlink(missing_ok=True)


def info_from_state(state: dict[str, Any]) -> ServerInfo | None:
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
            password_file=Path(state["password_file"]) if state.get("password_file") else None,
            default_password=bool(state.get("default_password", False)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in data.items()}
