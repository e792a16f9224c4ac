"""Turning what a model said into the one JSON object it was asked for.

Small local models wrap JSON in code fences, think out loud in <think> blocks, add a
sentence before or after, leave trailing commas, wrap the object in a list, or stop mid-way.
`parse_json_object` undoes the harmless habits with a string-aware scan and json.loads;
it never evaluates anything, and it refuses what it cannot read faithfully (truncation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from graphmem.errors import ExtractionError

_THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_THINK_OPEN = re.compile(r"^\s*<(think|thinking|reasoning)>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*(?:json5?|jsonc|JSON)?[ \t]*\r?\n?(.*?)```", re.DOTALL)
_OPEN_FENCE = re.compile(r"```[ \t]*(?:json5?|jsonc|JSON)?[ \t]*\r?\n")
_EXCERPT = 60


class JSONParseError(ExtractionError):
    """The model's answer holds no readable JSON object. `text` is the full answer."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"{reason}: {excerpt(text)}")
        self.reason = reason
        self.text = text


def excerpt(text: str) -> str:
    """A short, quoted view of a long answer: its start and its end."""
    flat = text.strip()
    if len(flat) <= 2 * _EXCERPT + 5:
        return repr(flat)
    return f"{flat[:_EXCERPT]!r} ... {flat[-_EXCERPT:]!r} ({len(flat)} chars)"


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer.

    Tolerates code fences, think blocks, prose around the object, trailing commas, a BOM,
    a single object wrapped in a list, and an object sent as a JSON string. Raises
    JSONParseError (an ExtractionError) when there is no complete object.
    """
    body, prefer_last = _strip_thinking(text.replace("\ufeff", ""))
    decoded = _loads(body.strip())
    if isinstance(decoded, dict):
        return decoded
    if isinstance(decoded, str):
        # The object was sent as a JSON string ("{\"facts\": []}"): read the inner text.
        body = decoded
    if not body.strip():
        raise JSONParseError("the answer holds no JSON, only whitespace or a think block", text)
    problems: list[str] = []
    for candidate in _candidates(body):
        found = _find_object(candidate, prefer_last=prefer_last, problems=problems)
        if found is not None:
            return found
    raise JSONParseError(problems[0] if problems else "no JSON object in the answer", text)


def _strip_thinking(text: str) -> tuple[str, bool]:
    """Text without reasoning, and whether an unclosed think block makes the last object best.

    A template may open <think> in the prompt, leaving only the closing tag in the answer:
    everything before the last closing tag is then reasoning.
    """
    text = _THINK_BLOCK.sub("", text)
    closings = list(_THINK_CLOSE.finditer(text))
    if closings:
        return text[closings[-1].end() :], False
    opened = _THINK_OPEN.match(text)
    if opened:
        # Reasoning never closed: drafts may precede the answer, so the last object wins.
        return text[opened.end() :], True
    return text, False


def _candidates(body: str) -> Iterator[str]:
    """Fenced blocks first (the model marked them as the answer), then the whole text."""
    for match in _FENCE.finditer(body):
        yield match.group(1)
    # An opening fence whose closing fence was cut off still marks where JSON starts.
    if body.count("```") % 2 == 1:
        opening = _OPEN_FENCE.match(body, body.rfind("```"))
        if opening:
            yield body[opening.end() :]
    yield body


def _find_object(text: str, *, prefer_last: bool, problems: list[str]) -> dict[str, Any] | None:
    found: dict[str, Any] | None = None
    position = 0
    while True:
        start = _next_start(text, position)
        if start < 0:
            return found
        end = _closing_index(text, start)
        if end is None:
            # Nested objects of a cut-off answer would parse, but they are not the answer.
            problems.append("the JSON is truncated (brackets never close)")
            return found
        value = _object_from(text[start:end], problems)
        if value is not None:
            if not prefer_last:
                return value
            found = value
        # Skip the whole balanced span: its inner objects are fields, not answers.
        position = end


def _next_start(text: str, position: int) -> int:
    starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
    return min(starts) if starts else -1


def _closing_index(text: str, start: int) -> int | None:
    """Index just past the bracket closing the one at `start`, skipping strings; None if none."""
    depth = 0
    for index, char in _structural_chars(text, start):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _structural_chars(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, char) for every character from `start` that is not inside a JSON string
    (the quotes themselves included)."""
    in_string = False
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        yield index, char


def _object_from(snippet: str, problems: list[str]) -> dict[str, Any] | None:
    value = _loads(snippet)
    if value is None:
        value = _loads(_drop_trailing_commas(snippet))
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], dict):
            return value[0]
        problems.append(f"expected one JSON object, found a list of {len(value)} items")
    return None


def _loads(snippet: str) -> Any:
    try:
        # strict=False: models put raw newlines and tabs inside strings.
        return json.loads(snippet, strict=False)
    except ValueError:
        return None


def _drop_trailing_commas(snippet: str) -> str:
    """Remove commas that directly precede a closing bracket, outside strings."""
    dropped = {
        index
        for index, char in _structural_chars(snippet)
        if char == "," and _closes_next(snippet, index + 1)
    }
    return "".join(char for index, char in enumerate(snippet) if index not in dropped)


def _closes_next(text: str, index: int) -> bool:
    while index < len(text) and text[index].isspace():
        index += 1
    return index < len(text) and text[index] in "}]"
