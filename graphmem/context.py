"""The context block: recalled facts and relations rendered for a prompt, under a budget.

Token counts are estimated, not tokenised: ceil(characters / 4), the usual rule of thumb
for English with BPE tokenisers (it overestimates slightly for plain prose, so the block
errs on the short side). Facts go in rank order; a fact that does not fit ends the list.
Relations follow, only while budget remains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

DEFAULT_BUDGET = 800
HEADER = "Relevant memories (most relevant first):"
RELATIONS_HEADER = "Known relations:"


def estimate_tokens(text: str) -> int:
    """Approximate token count: ceil(len(text) / 4)."""
    return math.ceil(len(text) / 4)


def render(
    results: Sequence[Mapping[str, Any]],
    relations: Sequence[Mapping[str, Any]] = (),
    budget: int = DEFAULT_BUDGET,
) -> str:
    """The block for a prompt, at most `budget` estimated tokens ('' when nothing fits)."""
    lines: list[str] = []
    used = 0
    for item in results:
        line = f"- {item['memory']}{_validity(item.get('valid_from'), item.get('valid_to'))}"
        cost = estimate_tokens(line + "\n") + (0 if lines else estimate_tokens(HEADER + "\n"))
        if used + cost > budget:
            break
        if not lines:
            lines.append(HEADER)
        lines.append(line)
        used += cost
    rel_lines = []
    for rel in relations:
        line = f"- {rel['source']} {rel['relation']} {rel['target']}"
        line += _validity(rel.get("valid_from"), rel.get("valid_to"))
        extra = 0 if rel_lines else estimate_tokens(RELATIONS_HEADER + "\n")
        cost = estimate_tokens(line + "\n") + extra
        if used + cost > budget:
            break
        if not rel_lines:
            rel_lines.append(RELATIONS_HEADER)
        rel_lines.append(line)
        used += cost
    return "\n".join(lines + rel_lines)


def _validity(valid_from: Any, valid_to: Any) -> str:
    if valid_from is None and valid_to is None:
        return ""
    start = _day(valid_from) if valid_from is not None else "…"
    end = _day(valid_to) if valid_to is not None else "now"
    return f" (valid {start} to {end})"


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = str(value)
    return text[:10]
