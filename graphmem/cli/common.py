"""What every graphmem command shares: scope options, error handling, output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from graphmem.errors import GraphMemError

SCOPE_OPTIONS = (
    click.option("--user", "user_id", envvar="GRAPHMEM_USER_ID", help="user_id scope."),
    click.option("--agent", "agent_id", envvar="GRAPHMEM_AGENT_ID", help="agent_id scope."),
    click.option("--run", "run_id", envvar="GRAPHMEM_RUN_ID", help="run_id scope."),
)


def scope_options(func: Any) -> Any:
    for option in reversed(SCOPE_OPTIONS):
        func = option(func)
    return func


def status(message: str) -> None:
    """Progress and notes go to stderr so stdout stays clean for --json."""
    click.echo(message, err=True)


@contextmanager
def cli_errors() -> Iterator[None]:
    """graphmem errors become one-line ClickExceptions (exit 1), without tracebacks."""
    try:
        yield
    except GraphMemError as exc:
        if os.environ.get("GRAPHMEM_CLI_TRACEBACK"):
            raise
        raise click.ClickException(str(exc)) from exc


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))
