"""The graphmem command line: `graphmem --help`."""

from __future__ import annotations

import click

from graphmem.cli.backup_commands import backup, export, restore
from graphmem.cli.config_commands import config
from graphmem.cli.graph_commands import entities, history, import_command, relations
from graphmem.cli.memory_admin_commands import (
    delete,
    erasures,
    forget,
    get,
    list_memories,
    log,
    reextract,
    update,
)
from graphmem.cli.memory_commands import add, quickstart, search
from graphmem.cli.neo4j_commands import neo4j_group
from graphmem.cli.reembed_commands import reembed_command
from graphmem.cli.service_commands import browser, doctor, mcp, serve
from graphmem.cli.upgrade_commands import upgrade_command


@click.group()
@click.version_option(package_name="graphmem")
def cli() -> None:
    """graphmem: relationship-aware long-term memory for LLM agents, on Neo4j."""


for _command in (config, neo4j_group, add, search, quickstart):
    cli.add_command(_command)

# Issue 5: the rest of the memory verbs, the graph views, and the services.
for _command in (get, list_memories, update, delete, log, reextract, history, entities, relations):
    cli.add_command(_command)
for _command in (import_command, export, backup, restore, doctor, serve, mcp, browser):
    cli.add_command(_command)
# Issue 13: erasure with a record.
for _command in (forget, erasures):
    cli.add_command(_command)
# Issue 15: re-embedding as a resumable job.
cli.add_command(reembed_command)
cli.add_command(upgrade_command)


def main() -> None:
    cli(prog_name="graphmem")
