"""`graphmem reembed`: re-embed the whole database with another embedder (graphmem/reembed.py).

Exit codes: 0 done (or already on that model, or stopped by --max-batches: re-run to go on),
1 error (another model's job unfinished, Neo4j down, the embedder failing), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from graphmem.cli.common import cli_errors, status
from graphmem.config import load_settings
from graphmem.embed import get_embedder
from graphmem.reembed import DEFAULT_BATCH_SIZE, DEFAULT_GRACE_S, Progress, reembed
from graphmem.store.neo4j import GraphStore


@click.command("reembed")
@click.option("--model", required=True, help="The new embedding model, as its provider names it.")
@click.option(
    "--provider",
    help="local (ONNX folder), ollama or openai; default: the configured embedder_provider.",
)
@click.option(
    "--path",
    "model_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="local: the folder with model.onnx and tokenizer.json (else downloaded by name).",
)
@click.option("--base-url", help="ollama / openai: the server (default: the configured one).")
@click.option("--batch-size", default=DEFAULT_BATCH_SIZE, show_default=True, type=int)
@click.option(
    "--max-batches",
    type=int,
    help="Stop after this many batches (the checkpoint is kept; re-run to go on).",
)
@click.option(
    "--restart",
    is_flag=True,
    help="Abandon an unfinished job to another model (its vectors are removed) and start anew.",
)
@click.option(
    "--grace-seconds",
    default=DEFAULT_GRACE_S,
    show_default=True,
    type=float,
    help="Wait after the switch before the old vectors go (processes re-read the model "
    "every 30 s).",
)
def reembed_command(
    model: str,
    provider: str | None,
    model_path: Path | None,
    base_url: str | None,
    batch_size: int,
    max_batches: int | None,
    restart: bool,
    grace_seconds: float,
) -> None:
    """Re-embed every fact and entity with another embedding model, as a resumable job.

    The new vectors go to a second vector property with indexes of their own (the new
    dimension) while search keeps answering from the old ones; facts and entities written
    meanwhile are caught up; then one transaction switches the model the database records
    (every graphmem process reads it within 30 s; one still configured with the old model
    then stops with an error naming both), and the old vectors and indexes are dropped.

    The checkpoint is the node (:ReembedJob {key: 'graphmem'}) in the database, written with
    each batch: after a kill, run the same command again and it goes on where it stopped.
    A different --model while a job is unfinished is refused unless --restart. Afterwards
    configure graphmem with the new embedder (GRAPHMEM_EMBEDDER_MODEL / _PATH / _PROVIDER).
    """
    with cli_errors():
        settings = load_settings()
        changes = {"embedder_model": model, "embedder_path": model_path}
        if provider:
            changes["embedder_provider"] = provider
        if base_url:
            changes["embedder_base_url"] = base_url
        new = settings.model_copy(update=changes)
        embedder = get_embedder(new)
        store = GraphStore.connect(settings)
        try:
            outcome = reembed(
                store,
                embedder,
                provider=new.embedder_provider,
                batch_size=batch_size,
                max_batches=max_batches,
                restart=restart,
                grace_s=grace_seconds,
                report=_report,
            )
        finally:
            store.close()
            embedder.close()
    if outcome.status == "current":
        click.echo(f"the database already answers from {embedder.model}: nothing to do")
    elif outcome.status == "stopped":
        click.echo(
            f"stopped after {outcome.batches} batches ({outcome.nodes} nodes); the checkpoint "
            "is kept: run the same command again to go on"
        )
    else:
        click.echo(
            f"done: {outcome.nodes} nodes re-embedded in this run; the database answers from "
            f"{embedder.model} ({embedder.dimension} dimensions)"
        )


def _report(progress: Progress) -> None:
    status(
        f"{progress.phase}: sweep {progress.sweep}, {progress.batches} batches, "
        f"{progress.nodes} nodes re-embedded"
    )
