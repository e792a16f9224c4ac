"""Loads the named Cypher statements in cypher/ (one statement per file, schema aside).

A statement may include a shared fragment with a line `// graphmem:include <name>`: the line
is replaced by the text of cypher/<name>.cypher (itself resolved the same way). Fragments live
beside their statements (cypher/recall/parts/) and say what they expect in scope and what
they leave bound, so one piece of Cypher (a scope's keys, a nearest-facts read) is written
once and read the same way by every statement built from it.
"""

from __future__ import annotations

import re
from functools import cache

from graphmem.resources import resource_dir

_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
_INCLUDE = re.compile(r"^[ \t]*// graphmem:include ([\w/]+)[ \t]*$", re.MULTILINE)


@cache
def query(name: str) -> str:
    """The statement in cypher/<name>.cypher, e.g. query("recall/fact_scan")."""
    path = resource_dir("cypher") / f"{name}.cypher"
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda match: query(match[1]).rstrip("\n"), text)


@cache
def statements(name: str) -> tuple[str, ...]:
    """The `;`-separated statements of a multi-statement file, comments removed."""
    text = _LINE_COMMENT.sub("", query(name))
    return tuple(s.strip() for s in text.split(";") if s.strip())
