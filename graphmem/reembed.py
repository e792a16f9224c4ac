"""`graphmem reembed`: re-embed every fact and entity with another embedder, as a job that
survives kills, and switch the store to it without a moment of mixed vectors.

The store answers from one vector slot (store/vectors.py). The job writes the new model's
vectors into the other slot, which has vector indexes of its own (of the new dimension), in
batches; each batch and its checkpoint commit in one transaction. The checkpoint is the
database's (:ReembedJob {key: 'graphmem'}) node: the slot, the model, the phase, the sweep,
and a cursor (a label and the last id done). Re-running the command resumes from it; a
different model while it exists is refused unless `restart`.

Phases:
1. embed: sweeps over facts then entities in id order, each embedding the nodes that have a
   vector in the active slot and none in the new one. Sweeps repeat until one finds nothing:
   the facts and entities written meanwhile (into the active slot) are caught up.
2. switch: one transaction moves the recorded EmbeddingSpace to the new slot, model and
   dimension, refused while any node still lacks a new vector (then 1 runs again). Until
   this commits, search answers from the old slot only; after it, from the new one only.
   Processes read the space again within SPACE_TTL_S; one whose embedder is the old model
   then fails with a SchemaMismatchError, never compares vectors of two models.
3. switched: after a grace period (at least SPACE_TTL_S, so no process still answers from
   the old slot), one more sweep embeds what processes that had not yet seen the switch
   wrote into the old slot.
4. clear: the old slot's indexes are dropped and its vectors removed, batch by batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphmem.embed import Embedder
from graphmem.errors import GraphMemError, InputError
from graphmem.store.cypher import query
from graphmem.store.neo4j import SPACE_TTL_S, GraphStore, Vector, search_supported
from graphmem.store.schema import ensure_vector_indexes, read_space
from graphmem.store.vectors import (
    SLOTS,
    EmbeddingSpace,
    VectorSlot,
    f16_bytes,
    other_slot,
    same_model,
)

DEFAULT_BATCH_SIZE = 256
# The switch is retried after another catch-up sweep when writes keep landing in between.
MAX_SWITCH_ATTEMPTS = 20
DEFAULT_GRACE_S = SPACE_TTL_S + 5


class ReembedError(GraphMemError):
    """The job cannot run as asked (another model's job unfinished, no recorded space)."""


@dataclass(frozen=True)
class Progress:
    """The checkpoint after a step, as the job reports it."""

    phase: str
    sweep: int
    batches: int
    nodes: int


@dataclass(frozen=True)
class Outcome:
    """How a run ended: "done", "stopped" (max_batches reached; re-run to resume) or
    "current" (the store already answers from this model)."""

    status: str
    batches: int  # batches this run wrote
    nodes: int  # nodes this run re-embedded
    space: EmbeddingSpace | None


def reembed(
    store: GraphStore,
    embedder: Embedder,
    *,
    provider: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    restart: bool = False,
    grace_s: float = DEFAULT_GRACE_S,
    report: Callable[[Progress], None] = lambda _: None,
) -> Outcome:
    """Run (or resume) the job that re-embeds the store with `embedder`; see the module."""
    if batch_size < 1 or (max_batches is not None and max_batches < 1):
        raise InputError("batch size and max batches must be at least 1")
    run = _Run(store, embedder, batch_size, max_batches, report)
    space = read_space(store.driver, store.database)
    if space is None:
        raise ReembedError(
            "this database records no embedding model yet: run any graphmem command on it "
            "once with the embedder that wrote it (e.g. `graphmem list --user <id>`), then "
            "re-embed"
        )
    job = run.job()
    if job is not None and not run.same_model(job):
        if not restart:
            raise ReembedError(
                f"an unfinished re-embedding job to {job['model']!r} ({job['dimension']} "
                f"dimensions, {job['nodes']} nodes done, phase {job['phase']}) holds this "
                f"database; re-run it with that model to finish it, or pass --restart to "
                f"abandon it and start one to {embedder.model!r}"
            )
        if job["phase"] != "embed":
            raise ReembedError(
                f"the job to {job['model']!r} has already switched the store to it; it can "
                "only be finished: re-run it with that model"
            )
        run.abandon(job)
        job = None
    if job is None:
        if space.dimension == embedder.dimension and same_model(space.model, embedder.model):
            return Outcome("current", 0, 0, space)
        job = run.start(space, provider)
    return run.resume(job, grace_s)


class _Run:
    """One run of the job: the store, the new embedder and this run's budget."""

    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        batch_size: int,
        max_batches: int | None,
        report: Callable[[Progress], None],
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.report = report
        self.batches = 0
        self.nodes = 0

    def job(self) -> dict[str, Any] | None:
        records = self.store.read(query("reembed/job"), {})
        return dict(records[0]["job"]) if records else None

    def same_model(self, job: Mapping[str, Any]) -> bool:
        return (job["model"], job["dimension"]) == (self.embedder.model, self.embedder.dimension)

    def start(self, space: EmbeddingSpace, provider: str) -> dict[str, Any]:
        target = other_slot(space.slot)
        search = search_supported(self.store.server_version())
        ensure_vector_indexes(
            self.store.driver,
            self.store.database,
            target,
            self.embedder.dimension,
            search=search,
        )
        params = {
            "slot": target.name,
            "provider": provider,
            "model": self.embedder.model,
            "dimension": self.embedder.dimension,
            "from_model": space.model,
        }
        return self._write("reembed/start", params)

    def abandon(self, job: Mapping[str, Any]) -> None:
        """Drop an unfinished job's slot (indexes, then vectors) and its checkpoint."""
        slot = SLOTS[job["slot"]]
        self._clear(slot, label="Fact", after="")
        self.store.write(lambda tx: tx.run(query("reembed/finish")).consume())

    def resume(self, job: dict[str, Any], grace_s: float) -> Outcome:
        target = SLOTS[job["slot"]]
        source = other_slot(target)
        if job["phase"] == "embed":
            job = self._embed_until_switched(job, source, target)
            if job["phase"] == "embed":
                return self._stopped()
        if job["phase"] == "switched":
            self._wait_grace(job, grace_s)
            job = self._sweep(job, source, target)
            if job.get("label") is not None:
                return self._stopped()
            job = self._write("reembed/set_phase", {"phase": "clear"})
        self._clear(source, label=job.get("label"), after=job.get("after", ""))
        self.store.write(lambda tx: tx.run(query("reembed/finish")).consume())
        return Outcome("done", self.batches, self.nodes, self.store.space())

    def _embed_until_switched(
        self, job: dict[str, Any], source: VectorSlot, target: VectorSlot
    ) -> dict[str, Any]:
        for _ in range(MAX_SWITCH_ATTEMPTS):
            job = self._sweep(job, source, target)
            if job.get("label") is not None:
                return job  # stopped by max_batches
            if job["sweep_nodes"] > 0:
                job = self._write("reembed/next_sweep", {})
                continue  # something was embedded: sweep again for writes made meanwhile
            params = {
                "source_property": source.property,
                "target_property": target.property,
            }
            records = self.store.write(
                lambda tx, p=params: list(tx.run(query("reembed/switch"), p))
            )
            if records:
                record = records[0]
                self.store.switched(EmbeddingSpace.from_record(record))
                self.report(_progress(record["job"]))
                return dict(record["job"])
            job = self._write("reembed/next_sweep", {})
        raise ReembedError(
            f"writes kept arriving faster than {MAX_SWITCH_ATTEMPTS} catch-up sweeps; re-run "
            "to go on (the checkpoint is kept)"
        )

    def _sweep(self, job: dict[str, Any], source: VectorSlot, target: VectorSlot) -> dict[str, Any]:
        """Embed pending nodes from the job's cursor to the end of the sweep (label None),
        or until this run's max_batches; returns the last checkpoint."""
        while job.get("label") is not None:
            if self.max_batches is not None and self.batches >= self.max_batches:
                return job
            label = job.get("label")
            pending = "reembed/pending_facts" if label == "Fact" else "reembed/pending_entities"
            params = {
                "source_property": source.property,
                "target_property": target.property,
                "after": job.get("after", ""),
                "batch_size": self.batch_size,
            }
            rows = [dict(r) for r in self.store.read(query(pending), params)]
            full = len(rows) == self.batch_size
            next_label = label if full else ("Entity" if label == "Fact" else None)
            vectors = self.embedder.embed([r["text"] for r in rows]) if rows else []
            embedded = [
                {**r, "vector": Vector(v), "f16": f16_bytes(v) if label == "Fact" else None}
                for r, v in zip(rows, vectors, strict=True)
            ]
            job = self._write(
                "reembed/write_batch",
                {
                    "label": label,
                    "rows": embedded,
                    "target_property": target.property,
                    "target_f16_property": target.f16_property,
                    "after": rows[-1]["id"] if full else "",
                    "next_label": next_label,
                },
            )
            if rows:
                self.batches += 1
                self.nodes += len(rows)
                self.report(_progress(job))
        return job

    def _wait_grace(self, job: Mapping[str, Any], grace_s: float) -> None:
        """Sleep until `grace_s` after the switch, so every process has read the new space."""
        switched = job["switched_at"].to_native().timestamp()
        remaining = switched + grace_s - time.time()
        if remaining > 0:
            time.sleep(remaining)

    def _clear(self, slot: VectorSlot, *, label: str | None, after: str) -> None:
        """Drop `slot`'s indexes, then remove its vectors from the cursor on."""
        for name in (slot.fact_index, slot.entity_index):
            self.store.write(lambda tx, n=name: tx.run(query("admin/drop_index"), {"name": n}))
        while label is not None:
            statement = "reembed/clear_facts" if label == "Fact" else "reembed/clear_entities"
            params = {
                "property": slot.property,
                "f16_property": slot.f16_property,
                "after": after,
                "batch_size": self.batch_size,
            }
            record = self.store.write(
                lambda tx, p=params, s=statement: tx.run(query(s), p).single()
            )
            if record is None or record["cleared"] < self.batch_size:
                label, after = ("Entity", "") if label == "Fact" else (None, "")
            else:
                after = record["last"]
            self._write("reembed/checkpoint_clear", {"label": label, "after": after})

    def _write(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        record = self.store.write(lambda tx: tx.run(query(name), params).single())
        if record is None:
            raise ReembedError("the re-embedding job's checkpoint vanished (another run?)")
        return dict(record["job"])

    def _stopped(self) -> Outcome:
        return Outcome("stopped", self.batches, self.nodes, self.store.space())


def _progress(job: Mapping[str, Any]) -> Progress:
    return Progress(job["phase"], int(job["sweep"]), int(job["batches"]), int(job["nodes"]))
