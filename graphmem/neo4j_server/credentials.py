"""The local server's password: random per install, kept where only its owner reads it.

A new home gets a random password at its first start, stored in ``<home>/graphmem-neo4j.password``
(0600, the home 0700), where graphmem's settings find it (graphmem/config.py). A database
created before that kept the old default password: it still opens with it, is reported as
such, and :func:`rotate_password` gives it a random one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from graphmem.config import LEGACY_NEO4J_PASSWORD, NEO4J_PASSWORD_FILE, stored_neo4j_password
from graphmem.errors import Neo4jLauncherError
from graphmem.neo4j_server.state import NEO4J_USER
from graphmem.store.cypher import query

PASSWORD_FILE = NEO4J_PASSWORD_FILE
PASSWORD_BYTES = 24  # secrets.token_urlsafe: 32 characters
OWNER_ONLY_DIR = 0o700
OWNER_ONLY_FILE = 0o600
ROTATE_HINT = "graphmem neo4j rotate-password"


@dataclass(frozen=True)
class Password:
    """The password a start uses, and whether it is the old shared default."""

    value: str
    legacy: bool = False


def password_path(home: Path) -> Path:
    return home / PASSWORD_FILE


def secure_dir(path: Path) -> None:
    """Create ``path`` if needed and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_DIR)
    path.chmod(OWNER_ONLY_DIR)


def store_password(home: Path, password: str) -> Path:
    """Write the home's password file, 0600 from the moment it exists."""
    target = password_path(home)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    tmp.replace(target)
    return target


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def password_for_start(home: Path, given: str | None, database_exists: bool) -> Password:
    """The password a start of ``home`` uses.

    Given: that one (stored as well when it creates the database, so other commands find
    it). Not given: the stored one; for a new database a fresh random one, stored; for a
    database from before random passwords (no file), the old default, flagged legacy.
    """
    stored = stored_neo4j_password(home)
    if given is not None:
        if not database_exists and stored != given:
            store_password(home, given)
        return Password(given)
    if stored is not None:
        return Password(stored)
    if database_exists:
        return Password(LEGACY_NEO4J_PASSWORD, legacy=True)
    created = new_password()
    store_password(home, created)
    return Password(created)


def rotate_password(uri: str, home: Path, current: str) -> str:
    """Give the server at ``uri`` a new random password and store it in its ``home``.

    Raises Neo4jLauncherError when the server refuses ``current`` or cannot be reached.
    """
    fresh = new_password()
    try:
        with GraphDatabase.driver(uri, auth=(NEO4J_USER, current)) as driver:
            driver.execute_query(
                query("admin/change_password"), {"old": current, "new": fresh}, database_="system"
            )
    except AuthError:
        raise Neo4jLauncherError(
            f"Neo4j at {uri} refused the current password: set GRAPHMEM_NEO4J_PASSWORD "
            "to the one it has, then rotate again"
        ) from None
    except (DriverError, Neo4jError, OSError) as exc:
        raise Neo4jLauncherError(f"could not change the password at {uri}: {exc}") from None
    store_password(home, fresh)
    return fresh
