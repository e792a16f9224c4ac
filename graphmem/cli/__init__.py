"""The graphmem command line: `graphmem --help`."""

from __future__ import annotations

import click

from graphmem.cli.config_commands import config
from graphmem.cli.memory_commands import add, quickstart, search
from graphmem.cli.neo4j_commands import neo4j_group


@click.group()
@click.version_option(package_name="graphmem")
def cli() -> None:
    """graphmem: relationship-aware long-term memory for LLM agents, on Neo4j."""


for _command in (config, neo4j_group, add, search, quickstart):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="graphmem")
