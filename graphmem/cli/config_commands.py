"""`graphmem config ...`"""

from __future__ import annotations

import click

from graphmem.cli.common import cli_errors, emit_json, status
from graphmem.config import config_file_path, load_settings


@click.group()
def config() -> None:
    """Inspect graphmem's configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def config_show(as_json: bool) -> None:
    """Print the effective configuration (env GRAPHMEM_*, config file, defaults), secrets masked."""
    with cli_errors():
        shown = load_settings().masked()
    if as_json:
        emit_json(shown)
        return
    status(f"config file: {config_file_path()}")
    width = max(len(k) for k in shown)
    for key, value in shown.items():
        click.echo(f"{key.ljust(width)}  {value}")
