"""Where graphmem's shipped files live: cypher/, prompts/ and docker/.

In a wheel they are package data under graphmem/; in a checkout (and an editable
install) they sit beside the package at the top of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

ResourceKind = Literal["cypher", "prompts", "docker", "data"]
_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(kind: ResourceKind) -> Path:
    """The folder holding graphmem's `kind` files."""
    for candidate in (_PACKAGE_DIR / kind, _PACKAGE_DIR.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"graphmem's {kind}/ folder is missing from this installation")
