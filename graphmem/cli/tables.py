"""Plain-text tables for the CLI's human-readable output (--json gives the raw data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

MAX_CELL = 60


def cell(value: Any, width: int = MAX_CELL) -> str:
    """One value as table text: None is "-", long text is cut with an ellipsis."""
    if value is None or value == "":
        return "-"
    text = " ".join(str(value).split())  # newlines would break the row
    return text if len(text) <= width else text[: width - 1] + "…"


def day(value: Any) -> str:
    """An ISO timestamp shortened to what a timeline needs: the date, or "-"."""
    return str(value)[:10] if value else "-"


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """rows as an aligned table; columns are (key, header) pairs."""
    body = [[cell(row.get(key)) for key, _ in columns] for row in rows]
    headers = [header for _, header in columns]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def echo_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    click.echo(render(rows, columns))
