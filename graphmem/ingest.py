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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from neo4j import ManagedTransaction

from graphmem import identifiers
from graphmem.embed import Embedder
from graphmem.errors import ExtractionError, LLMError, StoreError
from graphmem.extract import SELF_NAME, Extraction, extract
from graphmem.llm.base import LLM, Completion
from graphmem.models import SELF_KEY, FactInput, Message, Scope, Usage, entity_key
from graphmem.resolve import (
    EntityCandidate,
    EntityDecision,
    EntityQuestion,
    FactCandidate,
    FactDecision,
    FactQuestion,
    compatible,
    decide_entity,
    decide_fact,
    resolve,
)
from graphmem.store import candidates as store_candidates
from graphmem.store import changes
from graphmem.store.neo4j import (
    GraphStore,
    Reader,
    TransactionReader,
    WriteBatch,
    apply_batches,
    write_episodes_in,
)
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch, content_hash, stable_id

# Decide-and-write rounds when concurrent writers keep committing the same facts first.
WRITE_ATTEMPTS = 3
# What models write for the speaker; all of them are the scope's one self entity.
SELF_ALIASES = frozenset(
    {"user", "the user", "i", "me", "my", "myself", "speaker", "the speaker", "self"}
)


@dataclass
class DraftRelation:
    source: str
    type: str
    target: str


@dataclass
class Draft:
    """A fact ready to resolve: from an extraction or handed in pre-extracted."""

    text: str
    entities: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    relations: list[DraftRelation] = field(default_factory=list)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class WriteContext:
    """What one add needs besides its drafts."""

    store: GraphStore
    embedder: Embedder
    scope: Scope
    episode_id: str
    at: datetime
    threshold: float
    actor: str
    prompt_version: str | None = None
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    # The episode's status once written: "extracted" after an LLM, "stored" without one.
    final_status: str = "extracted"
    # An episode to write in the add's one transaction (episode_row), for adds without an
    # LLM call: there is no extraction to outlive, and the add stays all or nothing. None:
    # the episode was written up front (before an LLM call, or by the caller).
    episode: dict[str, Any] | None = None


@dataclass
class _Entity:
    key: str
    name: str
    type: str
    vector: list[float] = field(default_factory=list)
    decision: EntityDecision = field(default_factory=EntityDecision)
    final_key: str = ""
    write_row: bool = True


@dataclass
class _Fact:
    draft: Draft
    digest: str
    vector: list[float] = field(default_factory=list)
    decision: FactDecision = field(default_factory=FactDecision)
    id: str = ""


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
) -> dict[str, Any]:
    """add(infer=True). Raises ExtractionError (episode kept, status failed) or LLMError."""
    at = _aware(timestamp) if timestamp else datetime.now(timezone.utc)
    if episode_id is None:
        episode_id = str(uuid.uuid4())
        store.write_episode(episode_id, scope, turns, infer=True)
        if timestamp is not None or metadata:
            changes.set_episode_context(store, episode_id, timestamp and at, metadata)
    try:
        result = extract(llm, turns, message_time=at)
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
    )
    _count(ctx.usage, result.completions)
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
    entities, facts = _plan(ctx, drafts)
    _embed(ctx, entities, facts)
    if llm is None:
        return _resolve_and_write(ctx, entities, facts)
    for _ in range(WRITE_ATTEMPTS):
        _resolve_all(ctx.store, ctx, entities, facts, llm)
        try:
            return _write(ctx, entities, facts)
        except _FactsTaken:
            continue
    raise StoreError(
        f"gave up writing episode {ctx.episode_id} after {WRITE_ATTEMPTS} attempts: other "
        "writers kept adding the same facts to this scope; retry with reextract"
    )


def _resolve_all(
    reader: Reader,
    ctx: WriteContext,
    entities: list[_Entity],
    facts: list[_Fact],
    llm: LLM | None,
) -> None:
    """Decide every entity and fact: by rule, else by one batched LLM call, else safely."""
    _decide(reader, ctx, entities, facts, ask=llm is not None)
    questions = [
        EntityQuestion(e.name, e.type, e.decision) for e in entities if not e.decision.settled
    ]
    fact_questions = [
        FactQuestion(f.draft.text, f.decision) for f in facts if not f.decision.settled
    ]
    if llm is not None and (questions or fact_questions):
        completion = resolve(llm, questions, fact_questions)
        _count(ctx.usage, [completion] if completion else [])
    for question in questions:
        question.decision.ask = []  # without an LLM, the safe default: a new entity
    for fact_question in fact_questions:
        fact_question.decision.ask = []
    _finalise_keys(entities)


class _FactsTaken(Exception):
    """Another writer committed some of this add's facts first; decide again."""


def drafts_from_extraction(extraction: Extraction, metadata: Mapping[str, Any]) -> list[Draft]:
    types = {entity_key(e.name): e.type for e in extraction.entities}
    drafts = []
    for fact in extraction.facts:
        rels = [r for r in extraction.relations if r.fact == fact.id]
        named = list(
            dict.fromkeys([*fact.entities, *(n for r in rels for n in (r.source, r.target))])
        )
        valid_from = fact.valid_from or min(
            (r.valid_from for r in rels if r.valid_from), default=None
        )
        valid_to = fact.valid_to or max((r.valid_to for r in rels if r.valid_to), default=None)
        drafts.append(
            Draft(
                text=fact.text,
                entities=[(n, types.get(entity_key(n), "Thing")) for n in named if entity_key(n)],
                relations=[DraftRelation(r.source, r.type, r.target) for r in rels],
                valid_from=valid_from,
                valid_to=valid_to,
                metadata=metadata,
            )
        )
    return drafts


def drafts_from_inputs(facts: Sequence[FactInput]) -> list[Draft]:
    """Pre-extracted facts (add_facts, import) as drafts for the same write path."""
    drafts = []
    for fact in facts:
        types = {entity_key(e.name): e.type for e in fact.entities}
        named = [e.name for e in fact.entities]
        named += [n for t in fact.relations for n in (t.source, t.target)]
        unique = list(dict.fromkeys(named))
        drafts.append(
            Draft(
                text=fact.text,
                entities=[(n, types.get(entity_key(n), "Thing")) for n in unique],
                relations=[DraftRelation(t.source, t.relation, t.target) for t in fact.relations],
                valid_from=fact.valid_from,
                valid_to=fact.valid_to,
                metadata=fact.metadata,
            )
        )
    return drafts


# ---- planning -----------------------------------------------------------------------------


def self_name(scope: Scope) -> str:
    """The display name of the scope's self entity."""
    return scope.user_id or scope.agent_id or scope.run_id or SELF_NAME


def _key_of(name: str) -> str:
    key = entity_key(name)
    return SELF_KEY if key in SELF_ALIASES or key == SELF_KEY else key


def _plan(ctx: WriteContext, drafts: Sequence[Draft]) -> tuple[list[_Entity], list[_Fact]]:
    entities: dict[str, _Entity] = {}
    facts: dict[str, _Fact] = {}
    for draft in drafts:
        digest = content_hash(draft.text)
        facts.setdefault(digest, _Fact(draft, digest))
        for name, type_ in draft.entities:
            key = _key_of(name)
            if key == SELF_KEY:
                entities.setdefault(key, _Entity(key, self_name(ctx.scope), "Person"))
                continue
            sanitised = identifiers.entity_type(type_)
            known = entities.get(key)
            if known is None or (known.type == identifiers.DEFAULT_ENTITY_TYPE):
                entities[key] = _Entity(key, name.strip(), sanitised)
    return list(entities.values()), list(facts.values())


def _embed(ctx: WriteContext, entities: list[_Entity], facts: list[_Fact]) -> None:
    texts = [f.draft.text for f in facts] + [e.name for e in entities]
    if not texts:
        return
    vectors = ctx.embedder.embed(texts)
    ctx.usage.embeddings += len(texts)
    for fact, vector in zip(facts, vectors[: len(facts)], strict=True):
        fact.vector = vector
    for entity, vector in zip(entities, vectors[len(facts) :], strict=True):
        entity.vector = vector


def _decide(
    reader: Reader, ctx: WriteContext, entities: list[_Entity], facts: list[_Fact], *, ask: bool
) -> None:
    """Decide by rule from the store's candidates; `ask`: an LLM will settle open questions."""
    hashes = [] if ask else [f.digest for f in facts]
    known = store_candidates.known(reader, ctx.scope, [e.key for e in entities], hashes)
    _decide_entities(reader, ctx, entities, known.entities)
    # Similar facts and relation rivals are questions for an LLM; without one they become
    # plain adds, so only equal content (a duplicate, found by `known`) decides anything.
    candidates = _fact_candidates(reader, ctx, facts, known.entities) if ask else known.duplicates
    for index, fact in enumerate(facts):
        fact.decision = decide_fact(fact.digest, candidates.get(index, []))


def _decide_entities(
    reader: Reader, ctx: WriteContext, entities: list[_Entity], exact: dict[str, EntityCandidate]
) -> None:
    others = [e for e in entities if e.key != SELF_KEY]
    # An exact key of a compatible type merges whatever the vectors say (decide_entity), so
    # only the other entities need the similarity scan: in a scope that already knows most
    # names, that is a few per add instead of all of them.
    unsettled = [e for e in others if not _merges_by_key(e, exact)]
    similar = store_candidates.similar_entities(
        reader, ctx.scope, [(e.key, e.vector) for e in unsettled], ctx.threshold
    )
    found = {
        e.key: [c for c in similar.get(i, []) if c.key != SELF_KEY] for i, e in enumerate(unsettled)
    }
    for entity in others:
        candidates = found.get(entity.key, [])
        entity.decision = decide_entity(entity.name, entity.type, exact.get(entity.key), candidates)
    for entity in entities:
        if entity.key == SELF_KEY:  # decided afresh on every attempt, like the others
            entity.decision = EntityDecision(merge_into=exact.get(SELF_KEY))


def _fact_candidates(
    reader: Reader, ctx: WriteContext, facts: list[_Fact], exact: dict[str, EntityCandidate]
) -> dict[int, list[FactCandidate]]:
    """Per fact: similar or equal stored facts, then those behind relations it may replace."""
    found = store_candidates.similar_facts(
        reader, ctx.scope, [(f.digest, f.vector) for f in facts], ctx.threshold
    )
    for index, rivals in _relation_rivals(reader, ctx, facts, exact).items():
        seen = {c.id for c in found.get(index, [])}
        found.setdefault(index, []).extend(c for c in rivals if c.id not in seen)
    return found


def _merges_by_key(entity: _Entity, exact: Mapping[str, EntityCandidate]) -> bool:
    stored = exact.get(entity.key)
    return stored is not None and compatible(stored.type, entity.type)


def _relation_rivals(
    reader: Reader, ctx: WriteContext, facts: list[_Fact], exact: Mapping[str, EntityCandidate]
) -> dict[int, list[FactCandidate]]:
    """Facts whose current relation a new one may replace: the same source (an existing
    entity) and type, another target. Vector similarity alone misses these when the texts
    differ ("lives in Berlin" / "lives in Amsterdam" score 0.685), so they are asked about."""
    items = []
    for index, fact in enumerate(facts):
        for rel in fact.draft.relations:
            source = _key_of(rel.source)
            if source in exact:
                kind = identifiers.relation_type(rel.type)
                items.append((index, source, kind, _key_of(rel.target), fact.vector))
    # Keys seen once per index: a fact with two LIVES_IN relations asks once per rival.
    found = store_candidates.facts_behind_relations(reader, ctx.scope, items)
    return {i: list({c.id: c for c in hits}.values()) for i, hits in found.items()}


def _finalise_keys(entities: list[_Entity]) -> None:
    for entity in entities:
        merged: EntityCandidate | None = entity.decision.merge_into
        if merged is not None:
            entity.final_key = merged.key
            # Same key: the MERGE in write/entities counts the mention. Another key (a
            # nickname resolved to a full name): only the mention is counted.
            entity.write_row = merged.key == entity.key
        elif entity.decision.key_taken:
            # The name belongs to an entity of another kind: keep both, apart.
            entity.final_key = f"{entity.key} [{entity.type.lower()}]"
            entity.write_row = True
        else:
            entity.final_key = entity.key
            entity.write_row = True


# ---- writing ------------------------------------------------------------------------------


@dataclass
class _Writes:
    """Everything one add writes, decided: the graph batch and the bookkeeping around it."""

    batch: WriteBatch
    touched: list[str]  # keys of entities merged into another key: a mention to count
    duplicates: list[str]  # ids of stored facts this add repeats (NONE)
    supersessions: list[changes.Supersession]
    log: list[changes.Change]


def _resolve_and_write(
    ctx: WriteContext, entities: list[_Entity], facts: list[_Fact]
) -> dict[str, Any]:
    """An add without an LLM: lock, read candidates, decide and write in one transaction."""

    def work(tx: ManagedTransaction) -> _Writes:
        changes.lock_scope_in(tx, ctx.scope, ctx.episode_id, [])
        _resolve_all(TransactionReader(tx), ctx, entities, facts, None)
        writes = _writes(ctx, entities, facts)
        _apply(tx, ctx, writes)
        return writes

    writes = ctx.store.write(work)
    return _result(ctx, facts, writes.batch, entities)


def _write(ctx: WriteContext, entities: list[_Entity], facts: list[_Fact]) -> dict[str, Any]:
    """Write decisions made before the transaction; _FactsTaken if they went stale."""
    writes = _writes(ctx, entities, facts)
    hashes = [row.props["content_hash"] for row in writes.batch.facts]

    def work(tx: ManagedTransaction) -> None:
        if changes.lock_scope_in(tx, ctx.scope, ctx.episode_id, hashes):
            raise _FactsTaken
        _apply(tx, ctx, writes)

    ctx.store.write(work)
    return _result(ctx, facts, writes.batch, entities)


def _writes(ctx: WriteContext, entities: list[_Entity], facts: list[_Fact]) -> _Writes:
    keys = {e.key: e.final_key for e in entities}
    written = [f for f in facts if f.decision.event != "NONE"]
    new_facts = [_new_fact(ctx, f, keys) for f in written]
    referenced = {k for nf in new_facts for k in nf.entities} | {
        k for nf in new_facts for r in nf.relations for k in (r.source, r.target)
    }
    rows = [e for e in entities if e.write_row and e.final_key in referenced]
    new_entities = [NewEntity(e.name, e.type, e.vector, explicit_key=e.final_key) for e in rows]
    batch = build_batch(ctx.scope, ctx.episode_id, new_facts, new_entities)
    for fact, row in zip(written, batch.facts, strict=True):
        fact.id = row.id
    supersessions = _supersessions(ctx, written)
    return _Writes(
        batch=batch,
        touched=[e.final_key for e in entities if not e.write_row],
        duplicates=[c.id for f in facts if f.decision.event == "NONE" for c in f.decision.existing],
        supersessions=supersessions,
        log=_changes(ctx, written, supersessions),
    )


def _apply(tx: ManagedTransaction, ctx: WriteContext, writes: _Writes) -> None:
    """The add's statements, inside its transaction (after the scope's lock)."""
    if ctx.episode is not None:
        write_episodes_in(tx, [ctx.episode])
    apply_batches(tx, [writes.batch])
    changes.touch_entities_in(tx, ctx.scope, writes.touched)
    changes.bump_facts_in(tx, ctx.scope, ctx.episode_id, writes.duplicates)
    changes.supersede_in(tx, ctx.scope, writes.supersessions)
    changes.log_in(tx, ctx.scope, writes.log)
    if ctx.episode is None or ctx.episode["status"] != ctx.final_status:
        changes.set_episode_status_in(tx, ctx.episode_id, ctx.final_status)


def _new_fact(ctx: WriteContext, fact: _Fact, keys: Mapping[str, str]) -> NewFact:
    draft = fact.draft
    mapped = [keys[_key_of(n)] for n, _ in draft.entities if _key_of(n) in keys]
    relations = [
        NewRelation(keys[_key_of(r.source)], r.type, keys[_key_of(r.target)])
        for r in draft.relations
        if _key_of(r.source) in keys and _key_of(r.target) in keys
    ]
    return NewFact(
        text=draft.text,
        embedding=fact.vector,
        metadata=dict(draft.metadata),
        entities=list(dict.fromkeys(mapped)),
        relations=relations,
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        prompt_version=ctx.prompt_version,
        model=ctx.model,
    )


def _supersessions(ctx: WriteContext, written: list[_Fact]) -> list[changes.Supersession]:
    rows = []
    for fact in written:
        if fact.decision.event not in ("UPDATE", "CONTRADICTS"):
            continue
        close = fact.decision.event == "CONTRADICTS"
        at = fact.draft.valid_from or ctx.at
        for old in fact.decision.existing:
            rows.append(changes.Supersession(fact.id, old.id, fact.decision.event, close, at))
    return rows


def _changes(
    ctx: WriteContext, written: list[_Fact], supersessions: list[changes.Supersession]
) -> list[changes.Change]:
    log = []
    for fact in written:
        replaced = [c.id for c in fact.decision.existing]
        reason = f"{fact.decision.event} of {', '.join(replaced)}" if replaced else "ADD"
        log.append(_change(ctx, len(log), fact.id, "ADD", None, fact.draft.text, reason))
    texts = {f.id: f.draft.text for f in written}
    old_texts = {c.id: c.text for f in written for c in f.decision.existing}
    for row in supersessions:
        reason = f"{row.event} by {row.new_id}"
        old, new = old_texts[row.old_id], texts[row.new_id]
        log.append(_change(ctx, len(log), row.old_id, "SUPERSEDE", old, new, reason))
    return log


def _change(
    ctx: WriteContext, seq: int, target: str, op: str, old: str | None, new: str | None, why: str
) -> changes.Change:
    change_id = stable_id(ctx.episode_id, target, op)
    return changes.Change(change_id, seq, target, op, old, new, ctx.actor, why, ctx.episode_id)


def _result(
    ctx: WriteContext, facts: list[_Fact], batch: WriteBatch, entities: list[_Entity]
) -> dict[str, Any]:
    results = []
    for fact in facts:
        decision = fact.decision
        if decision.event == "NONE":
            old = decision.existing[0]
            results.append({"id": old.id, "memory": old.text, "event": "NONE"})
        elif decision.event in ("UPDATE", "CONTRADICTS"):
            results.append(
                {
                    "id": fact.id,
                    "memory": fact.draft.text,
                    "event": "UPDATE",
                    "previous_memory": decision.existing[0].text,
                    "supersedes": [c.id for c in decision.existing],
                }
            )
        else:
            results.append({"id": fact.id, "memory": fact.draft.text, "event": "ADD"})
    names = {
        e.final_key: e.decision.merge_into.name if e.decision.merge_into else e.name
        for e in entities
    }
    relations = [
        {
            "source": names.get(r.source_key, r.source_key),
            "relationship": r.type,
            "target": names.get(r.target_key, r.target_key),
        }
        for r in batch.relations
    ]
    superseded = [
        c.id for f in facts if f.decision.event == "CONTRADICTS" for c in f.decision.existing
    ]
    return {
        "results": results,
        "relations": {"added_entities": relations, "superseded": superseded},
        "usage": ctx.usage.model_dump(),
        "episode_id": ctx.episode_id,
    }


def _count(usage: Usage, completions: Sequence[Completion]) -> None:
    for completion in completions:
        usage.llm_calls += 1
        usage.prompt_tokens += completion.prompt_tokens
        usage.completion_tokens += completion.completion_tokens


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
