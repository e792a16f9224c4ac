"""The versioned prompts in prompts/: loaded by name, rendered with {{placeholders}}.

A prompt file is named <name>.v<N>.md; the highest N is the current version. Its version
string ("extraction.v1") is stored on every fact the prompt produced, so a later prompt
change can be traced in the graph.

A deployer may swap a whole prompt for a file of their own (`load_prompt_file`): it is
checked against the built-in prompt it replaces before anything runs, and its version names
it by a hash of its text ("extraction.custom.3f2a9c01b4de"). Sections a deployer adds
(instructions, domain types: `Prompt.extended`) are appended after rendering, never
templated, and named in the version too ("extraction.v1+instructions.9b1c04aa").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from graphmem.errors import ConfigError
from graphmem.resources import resource_dir

_VERSIONED = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<number>[0-9]+)\.md$")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
MAX_CUSTOM_PROMPT = 64_000


def digest(text: str, length: int = 12) -> str:
    """A short, stable name for a text: the first hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Prompt:
    """One version of a prompt: a built-in file, or a deployer's own (`number` None)."""

    name: str
    number: int | None
    text: str
    origin: Path | None = None  # where a custom prompt was read from
    # Deployer sections appended after rendering, and the tags naming them in the version.
    additions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """e.g. "extraction.v1", "extraction.custom.3f2a9c01b4de+instructions.9b1c04aa"."""
        if self.number is None:
            base = f"{self.name}.custom.{digest(self.text)}"
        else:
            base = f"{self.name}.v{self.number}"
        return "+".join((base, *self.tags))

    @property
    def placeholders(self) -> frozenset[str]:
        """The {{names}} the text needs values for."""
        return frozenset(_PLACEHOLDER.findall(self.text))

    def render(self, **values: str) -> str:
        """The text with every {{name}} replaced; a missing value is a KeyError (a bug).

        Added sections follow as they are: a deployer's text is never templated.
        """
        # Plain substitution, not str.format: the prompts are full of JSON braces.
        body = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)
        if not self.additions:
            return body
        return "\n\n".join((body.rstrip("\n"), *self.additions)) + "\n"

    def extended(self, kind: str, section: str) -> Prompt:
        """This prompt with `section` appended; the version gains "+<kind>.<hash>"."""
        section = section.strip()
        return replace(
            self,
            additions=(*self.additions, section),
            tags=(*self.tags, f"{kind}.{digest(section, 8)}"),
        )


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


def load_prompt_file(name: str, path: Path, *, answer_schema: Mapping[str, Any]) -> Prompt:
    """A deployer's replacement for the built-in prompt `name`, checked before use.

    It must use exactly the built-in prompt's placeholders (a missing one would leave the
    model without, say, the message time; an unknown one could never be filled) and name
    every field of the answer's JSON schema, quoted as in JSON ("facts", "source"...): a
    prompt asking for other fields is how custom prompts silently lose memories. Answers
    are still validated against the schema on every call. Raises ConfigError.
    """
    where = f"custom {name} prompt {path}"
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} cannot be read: {exc}") from None
    if not text.strip():
        raise ConfigError(f"{where} is empty")
    if len(text) > MAX_CUSTOM_PROMPT:
        raise ConfigError(f"{where} is longer than {MAX_CUSTOM_PROMPT} characters")
    custom = Prompt(name, None, text, origin=path)
    problems = _contract_problems(custom, load_prompt(name), schema_fields(answer_schema))
    if problems:
        raise ConfigError(f"{where} is refused: {'; '.join(problems)}")
    return custom


def _contract_problems(custom: Prompt, built_in: Prompt, answer_fields: Iterable[str]) -> list[str]:
    problems = []
    missing = sorted(built_in.placeholders - custom.placeholders)
    if missing:
        problems.append(
            f"it lacks the placeholder(s) {_listed(missing)}, which the built-in "
            f"{built_in.version} fills in"
        )
    unknown = sorted(custom.placeholders - built_in.placeholders)
    if unknown:
        known = _listed(sorted(built_in.placeholders)) or "none"
        problems.append(f"it uses unknown placeholder(s) {_listed(unknown)} (known: {known})")
    unnamed = [f for f in dict.fromkeys(answer_fields) if f'"{f}"' not in custom.text]
    if unnamed:
        problems.append(
            "it never asks for the answer field(s) "
            + ", ".join(f'"{f}"' for f in unnamed)
            + f": keep the JSON object prompts/{built_in.name}.v{built_in.number}.md describes"
            " (same field names, quoted); change the guidance, not the answer's shape"
        )
    return problems


def _listed(names: Iterable[str]) -> str:
    return ", ".join("{{" + n + "}}" for n in names)


def schema_fields(schema: Mapping[str, Any]) -> list[str]:
    """Every property name a JSON schema defines, its $defs included, in order of appearance."""
    names: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "properties" and isinstance(value, Mapping):
                    names.update(dict.fromkeys(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return list(names)
