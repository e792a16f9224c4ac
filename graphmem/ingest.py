"""One add(): episode first -> extract -> embed once -> candidates -> resolve -> one write.

`add_inferred` is add(infer=True): one extraction call, plus one resolution call only when
some new entity or fact has an ambiguous candidate. `add_drafts` is the same path without
an LLM (pre-extracted facts, infer=False): ambiguous candidates then take the safe default
(a new entity, an added fact), exact keys and exact duplicates still merge.

Everything an add writes after its Episode goes into ONE write transaction, built from stable
ids (episode + content hash), so a retried transaction or a re-extraction of the same episode
writes the same nodes. An add without an LLM has no call for its Episode to outlive: the
Episode, the candidate reads and the decisions go into that transaction too, under the
scope's lock. An add never deletes: a contradicted fact is closed and superseded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from neo4j import ManagedTransaction

from graphmem.decisions import (
    PlannedEntity,
    PlannedFact,
    WriteContext,
    constrain_types,
    count_usage,
    embed,
    lookups,
    plan,
    resolve_all,
)
from graphmem.drafts import Draft, drafts_from_extraction, latest_timestamp, speaker_name
from graphmem.embed import Embedder
from graphmem.errors import ExtractionError, LLMError, StoreError
from graphmem.extract import extract
from graphmem.llm.base import LLM
from graphmem.models import SELF_KEY, Message, Scope, entity_key
from graphmem.shapes import aware, mem0_triple
from graphmem.shaping import Shaping
from graphmem.store import changes
from graphmem.store.neo4j import (
    GraphStore,
    TransactionReader,
    WriteBatch,
    apply_batches,
)
from graphmem.validity import closing_time, replaces
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch, stable_id

__all__ = ["WRITE_ATTEMPTS", "WriteContext", "add_drafts", "add_inferred", "resolve_entities"]

# Decide-and-write rounds when concurrent writers keep committing the same facts first.
WRITE_ATTEMPTS = 3

# ---- entry points -------------------------------------------------------------------------


def add_inferred(
    store: GraphStore,
    embedder: Embedder,
    llm: LLM,
    scope: Scope,
    turns: Sequence[Message],
    *,
    metadata: Mapping[str, Any] | None,
    threshold: float,
    timestamp: datetime | None = None,
    episode_id: str | None = None,
    shaping: Shaping | None = None,
) -> dict[str, Any]:
    """add(infer=True). Raises ExtractionError (episode kept, status failed) or LLMError."""
    shaping = shaping or Shaping.builtin()
    at = aware(timestamp or latest_timestamp(turns) or datetime.now(timezone.utc))
    if episode_id is None:
        episode_id = str(uuid.uuid4())
        store.write_episode(episode_id, scope, turns, infer=True)
        if timestamp is not None or metadata:
            changes.set_episode_context(store, episode_id, timestamp and at, metadata)
    try:
        result = extract(llm, turns, message_time=at, prompt=shaping.extraction)
    except (ExtractionError, LLMError) as exc:
        store.set_episode_status(episode_id, "failed", str(exc))
        kind = ExtractionError if isinstance(exc, ExtractionError) else LLMError
        raise kind(
            f"{exc} (episode {episode_id} kept; retry with reextract)", episode_id=episode_id
        ) from exc
    ctx = WriteContext(
        store,
        embedder,
        scope,
        episode_id,
        at,
        threshold,
        actor=f"llm:{result.model}",
        prompt_version=result.prompt_version,
        model=result.model,
        shaping=shaping,
        speaker=speaker_name(turns),
        attachments=attachment_refs(turns),
    )
    count_usage(ctx.usage, result.completions)
    drafts = drafts_from_extraction(result.extraction, metadata or {})
    return add_drafts(ctx, drafts, llm)


def add_drafts(ctx: WriteContext, drafts: Sequence[Draft], llm: LLM | None) -> dict[str, Any]:
    """Resolve drafts against the scope and write them in one transaction.

    Writers of one scope are serialised by a lock on its Scope node. Without an LLM nothing
    slow comes between reading the candidates and writing, so both happen in the one write
    transaction, under that lock: no other writer can store the same fact in between. With
    an LLM the lock is not held across its call: decisions come first, and when another
    writer committed one of these facts between our reads and our write, they are made
    again against what is now stored (so concurrent identical adds store one fact).
    """
    constrain_types(ctx, drafts)
    entities, facts = plan(ctx, drafts)
    embed(ctx, entities, facts)
    if llm is None:
        return _resolve_and_write(ctx, entities, facts)
    for _ in range(WRITE_ATTEMPTS):
        resolve_all(ctx.store, ctx, entities, facts, llm)
        try:
            return _write(ctx, entities, facts)
        except _FactsTaken:
            continue
    raise StoreError(
        f"gave up writing episode {ctx.episode_id} after {WRITE_ATTEMPTS} attempts: other "
        "writers kept adding the same facts to this scope; retry with reextract"
    )


def resolve_entities(ctx: WriteContext, draft: Draft) -> tuple[list[NewEntity], dict[str, str]]:
    """The entities a draft names, resolved against the scope by rule (no LLM call): exact
    keys and confirmed names merge, anything else is new. Returns the entity rows to write
    and each name's key -> the key it resolved to (for an edit of a stored fact)."""
    constrain_types(ctx, [draft])
    entities, _ = plan(ctx, [draft])
    embed(ctx, entities, [])
    resolve_all(ctx.store, ctx, entities, [], None)
    rows = [
        NewEntity(e.name, e.type, e.vector, explicit_key=e.final_key, aliases=_aliases(ctx, e))
        for e in entities
        if e.write_row
    ]
    return rows, {e.key: e.final_key for e in entities}


class _FactsTaken(Exception):
    """Another writer committed some of this add's facts first, or a delete removed what
    its decisions rest on; decide again."""


# ---- writing ------------------------------------------------------------------------------


@dataclass
class _Writes:
    """Everything one add writes, decided: the graph batch and the bookkeeping around it."""

    batch: WriteBatch
    touched: list[str]  # keys of entities merged into another key: a mention to count
    duplicates: list[str]  # ids of stored facts this add repeats (NONE)
    supersessions: list[changes.Supersession]


def _resolve_and_write(
    ctx: WriteContext, entities: list[PlannedEntity], facts: list[PlannedFact]
) -> dict[str, Any]:
    """An add without an LLM: lock, read candidates, decide and write in one transaction."""

    keys, hashes = lookups(entities, facts, ask=False)

    def work(tx: ManagedTransaction) -> tuple[_Writes, list[dict[str, str]]]:
        # The lock, the episode and the first reads in one statement; decisions under it.
        known = changes.open_add_in(tx, ctx.scope, ctx.episode, keys, hashes)
        resolve_all(TransactionReader(tx), ctx, entities, facts, None, known)
        writes = _writes(ctx, entities, facts)
        return writes, _apply(tx, ctx, writes)

    writes, retired = ctx.store.write(work)
    return _result(ctx, facts, writes, entities, retired)


def _write(
    ctx: WriteContext, entities: list[PlannedEntity], facts: list[PlannedFact]
) -> dict[str, Any]:
    """Write decisions made before the transaction; _FactsTaken if they went stale: another
    writer stored these facts, or a delete removed an entity or fact they rest on."""
    writes = _writes(ctx, entities, facts)
    hashes = [row.props["content_hash"] for row in writes.batch.facts]
    # Entities written without their vector rest on the stored one (_stored_vector_kept).
    keys = writes.touched + [row.key for row in writes.batch.entities if row.embedding is None]

    def work(tx: ManagedTransaction) -> list[dict[str, str]]:
        taken, gone = changes.lock_scope_in(
            tx, ctx.scope, ctx.episode_id, hashes, keys, writes.duplicates
        )
        if taken or gone:
            raise _FactsTaken
        return _apply(tx, ctx, writes)

    retired = ctx.store.write(work)
    return _result(ctx, facts, writes, entities, retired)


def _writes(ctx: WriteContext, entities: list[PlannedEntity], facts: list[PlannedFact]) -> _Writes:
    keys = {e.key: e.final_key for e in entities}
    written = [f for f in facts if f.decision.event != "NONE"]
    new_facts = [_new_fact(ctx, f, keys) for f in written]
    referenced = {k for nf in new_facts for k in nf.entities} | {
        k for nf in new_facts for r in nf.relations for k in (r.source, r.target)
    }
    rows = [e for e in entities if e.write_row and e.final_key in referenced]
    new_entities = [
        NewEntity(
            e.name,
            e.type,
            None if _stored_vector_kept(e) else e.vector,
            explicit_key=e.final_key,
            aliases=_aliases(ctx, e),
        )
        for e in rows
    ]
    batch = build_batch(ctx.scope, ctx.episode_id, new_facts, new_entities)
    for fact, row in zip(written, batch.facts, strict=True):
        fact.id = row.id
    supersessions = _supersessions(ctx, written)
    batch.changes = _changes(ctx, written, supersessions)  # logged by write/batch
    return _Writes(
        batch=batch,
        touched=[e.final_key for e in entities if not e.write_row],
        duplicates=[c.id for f in facts if f.decision.event == "NONE" for c in f.decision.existing],
        supersessions=supersessions,
    )


def _apply(tx: ManagedTransaction, ctx: WriteContext, writes: _Writes) -> list[dict[str, str]]:
    """The add's statements, inside its transaction (after the scope's lock and the
    episode: write/open_add, or written before an LLM call); the relations its
    supersessions retired."""
    apply_batches(tx, [writes.batch])
    changes.touch_entities_in(tx, ctx.scope, writes.touched)
    changes.bump_facts_in(tx, ctx.scope, ctx.episode_id, writes.duplicates)
    retired = changes.supersede_in(tx, ctx.scope, writes.supersessions)
    if ctx.episode is None or ctx.episode["status"] != ctx.final_status:
        changes.set_episode_status_in(tx, ctx.episode_id, ctx.final_status)
    return retired


def _stored_vector_kept(entity: PlannedEntity) -> bool:
    """True for an entity stored under its own key with a vector: write/batch keeps a stored
    vector, so sending this one again (most of an add's entities, in a scope that knows
    their names) would only cost packing and transfer."""
    stored = entity.decision.merge_into
    return stored is not None and stored.key == entity.final_key and stored.embedded


def _aliases(ctx: WriteContext, entity: PlannedEntity) -> list[str]:
    """The names the self entity is stored under besides its key (lookups use them)."""
    if entity.final_key != SELF_KEY:
        return []
    return sorted(ctx.self_aliases | {entity_key(entity.name)})


def _new_fact(ctx: WriteContext, fact: PlannedFact, keys: Mapping[str, str]) -> NewFact:
    draft = fact.draft
    key_of = ctx.key_of
    mapped = [keys[key_of(n)] for n, _ in draft.entities if key_of(n) in keys]
    relations = [
        NewRelation(keys[key_of(r.source)], r.type, keys[key_of(r.target)])
        for r in draft.relations
        if key_of(r.source) in keys and key_of(r.target) in keys
    ]
    span = ctx.span(draft)
    return NewFact(
        text=draft.text,
        embedding=fact.vector,
        metadata=dict(draft.metadata),
        entities=list(dict.fromkeys(mapped)),
        relations=relations,
        valid_from=span.valid_from,
        valid_to=span.valid_to,
        observed_at=span.observed_at,
        prompt_version=ctx.prompt_version,
        model=ctx.model,
        attachments=ctx.attachments,
    )


def _supersessions(ctx: WriteContext, written: list[PlannedFact]) -> list[changes.Supersession]:
    """Who replaces whom, by valid time (graphmem/validity.py): a new fact replaces the
    stored ones it speaks later than; one that speaks earlier than a stored fact is placed
    in history instead, closed by the earliest of those."""
    rows = []
    for fact in written:
        event = fact.decision.event
        if event not in ("UPDATE", "CONTRADICTS"):
            continue
        close = event == "CONTRADICTS"
        span = ctx.span(fact.draft)
        newer = [c for c in fact.decision.existing if not replaces(span, c.span)]
        for old in fact.decision.existing:
            if old in newer:
                continue
            at = closing_time(span.valid_from or ctx.at, old.span.valid_from)
            rows.append(changes.Supersession(fact.id, old.id, event, close, at))
        if newer:  # closed by the stored fact that began first after it
            later = min(newer, key=lambda c: c.span.speaks_of or ctx.at)
            at = closing_time(later.span.valid_from or ctx.at, span.valid_from)
            rows.append(changes.Supersession(later.id, fact.id, event, close, at))
    return rows


def _changes(
    ctx: WriteContext, written: list[PlannedFact], supersessions: list[changes.Supersession]
) -> list[changes.Change]:
    log = []
    for fact in written:
        replaced = [c.id for c in fact.decision.existing]
        reason = f"{fact.decision.event} of {', '.join(replaced)}" if replaced else "ADD"
        log.append(_change(ctx, len(log), fact.id, "ADD", None, fact.draft.text, reason))
    texts = {c.id: c.text for f in written for c in f.decision.existing}
    texts |= {f.id: f.draft.text for f in written}
    for row in supersessions:
        reason = f"{row.event} by {row.new_id}"
        old, new = texts[row.old_id], texts[row.new_id]
        log.append(_change(ctx, len(log), row.old_id, "SUPERSEDE", old, new, reason))
    return log


def _change(
    ctx: WriteContext, seq: int, target: str, op: str, old: str | None, new: str | None, why: str
) -> changes.Change:
    change_id = stable_id(ctx.episode_id, target, op)
    return changes.Change(change_id, seq, target, op, old, new, ctx.actor, why, ctx.episode_id)


def _result(
    ctx: WriteContext,
    facts: list[PlannedFact],
    writes: _Writes,
    entities: list[PlannedEntity],
    retired: list[dict[str, str]],
) -> dict[str, Any]:
    """mem0's add result: events a mem0 client can apply to its own copy by id. A fact that
    replaces stored ones is ADD (with graphmem's `supersedes` and `previous_memory`), each
    replaced fact DELETE on its own id (with `superseded_by`): graphmem keeps it as history,
    but it is no longer current, and the new text has a new id. Relations under mem0's
    names: added_entities, deleted_entities (the relations the replaced facts rested on)."""
    batch = writes.batch
    # Facts that arrived after a fact dated later: added, but as history.
    closed_by = {r.old_id: r.new_id for r in writes.supersessions}
    results: list[dict[str, Any]] = []
    for fact in facts:
        decision = fact.decision
        if fact.id and fact.id in closed_by:
            later = closed_by[fact.id]
            results.append(_event(fact.id, fact.draft.text, "ADD", superseded_by=later))
        elif decision.event == "NONE":
            old = decision.existing[0]
            results.append(_event(old.id, old.text, "NONE"))
        elif decision.event in ("UPDATE", "CONTRADICTS"):
            replaced = [c for c in decision.existing if closed_by.get(c.id) == fact.id]
            results.append(
                _event(
                    fact.id,
                    fact.draft.text,
                    "ADD",
                    previous_memory=decision.existing[0].text,
                    supersedes=[c.id for c in replaced],
                )
            )
            results.extend(_event(c.id, c.text, "DELETE", superseded_by=fact.id) for c in replaced)
        else:
            results.append(_event(fact.id, fact.draft.text, "ADD"))
    names = {
        e.final_key: e.decision.merge_into.name if e.decision.merge_into else e.name
        for e in entities
    }
    added = [
        mem0_triple(
            names.get(r.source_key, r.source_key), r.type, names.get(r.target_key, r.target_key)
        )
        for r in batch.relations
    ]
    deleted = [mem0_triple(r["source"], r["relationship"], r["target"]) for r in retired]
    superseded = [r.old_id for r in writes.supersessions if r.event == "CONTRADICTS"]
    return {
        "results": results,
        "relations": {
            "added_entities": added,
            "deleted_entities": deleted,
            "superseded": superseded,
        },
        "usage": ctx.usage.model_dump(),
        "episode_id": ctx.episode_id,
    }


def attachment_refs(turns: Sequence[Message]) -> list[str]:
    """The references of the images the messages carried, in order."""
    return list(dict.fromkeys(a.ref for turn in turns for a in turn.attachments))


def _event(fact_id: str, text: str, event: str, **extras: Any) -> dict[str, Any]:
    return {"id": fact_id, "memory": text, "event": event, **extras}
