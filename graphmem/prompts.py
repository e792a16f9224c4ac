"""The versioned prompts in prompts/: loaded by name, rendered with {{placeholders}}.

A prompt file is named <name>.v<N>.md; the highest N is the current version. Its version
string ("extraction.v1") is stored on every fact the prompt produced, so a later prompt
change can be traced in the graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from graphmem.resources import resource_dir

_VERSIONED = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<number>[0-9]+)\.md$")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class Prompt:
    """One version of a prompt."""

    name: str
    number: int
    text: str

    @property
    def version(self) -> str:
        """e.g. "extraction.v1"."""
        return f"{self.name}.v{self.number}"

    def render(self, **values: str) -> str:
        """The text with every {{name}} replaced; a missing value is a KeyError (a bug)."""
        # Plain substitution, not str.format: the prompts are full of JSON braces.
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)


@cache
def load_prompt(name: str, number: int | None = None) -> Prompt:
    """The prompt `name` at version `number`, or its latest version."""
    versions = {}
    for path in resource_dir("prompts").glob(f"{name}.v*.md"):
        match = _VERSIONED.match(path.name)
        if match and match["name"] == name:
            versions[int(match["number"])] = path
    if not versions:
        raise FileNotFoundError(f"no prompt named {name!r} in {resource_dir('prompts')}")
    chosen = max(versions) if number is None else number
    if chosen not in versions:
        raise FileNotFoundError(f"prompt {name!r} has no version {chosen}")
    return Prompt(name, chosen, versions[chosen].read_text(encoding="utf-8"))
