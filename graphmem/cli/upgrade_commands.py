"""`graphmem upgrade`: fill in what this graphmem reads and an older one did not write
(graphmem/upgrade.py). Exit codes: 0 done, 1 error (Neo4j down), 2 usage error."""

from __future__ import annotations

import click

from graphmem.cli.common import cli_errors, scope_label, status
from graphmem.config import load_settings
from graphmem.models import Scope
from graphmem.store.neo4j import GraphStore
from graphmem.upgrade import DEFAULT_BATCH_SIZE, fill_f16_copies, fill_vocabularies


@click.command("upgrade")
@click.option("--batch-size", default=DEFAULT_BATCH_SIZE, show_default=True, type=int)
def upgrade_command(batch_size: int) -> None:
    """Write what a store written by an older graphmem lacks: the float16 copy of each
    fact's vector (recall scores large scopes from them; without them it reads the vectors
    on the server, as before, only slower) and the relation vocabulary of each scope with
    relations and none (without it recall matches a question's words against the relation
    types' own names only). Batched and safe beside live traffic: a killed run is resumed
    by running it again."""
    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    with cli_errors():
        store = GraphStore.connect(load_settings())
        try:
            written = fill_f16_copies(
                store, batch_size=batch_size, report=lambda n: status(f"{n} facts copied")
            )
            rebuilt = fill_vocabularies(store, report=_vocabulary_rebuilt)
        finally:
            store.close()
    click.echo(f"done: {written} facts given a float16 copy of their vector")
    click.echo(f"done: {rebuilt} scopes given their relation vocabulary")


def _vocabulary_rebuilt(scope: Scope, types: int) -> None:
    status(f"relation vocabulary of {scope_label(**scope.params())}: {types} relation types")
