"""Loads the named Cypher statements in cypher/ (one statement per file, schema aside)."""

from __future__ import annotations

import re
from functools import cache

from graphmem.resources import resource_dir

_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


@cache
def query(name: str) -> str:
    """The statement in cypher/<name>.cypher, e.g. query("recall/fact_scan")."""
    path = resource_dir("cypher") / f"{name}.cypher"
    return path.read_text(encoding="utf-8")


@cache
def statements(name: str) -> tuple[str, ...]:
    """The `;`-separated statements of a multi-statement file, comments removed."""
    text = _LINE_COMMENT.sub("", query(name))
    return tuple(s.strip() for s in text.split(";") if s.strip())
