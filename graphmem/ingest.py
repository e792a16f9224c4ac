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
from graphmem.drafts import Draft, drafts_from_extraction, latest_timestamp, speaker_name
from graphmem.embed import Embedder
from graphmem.errors import ExtractionError, LLMError, StoreError
from graphmem.extract import SELF_NAME, extract
from graphmem.llm.base import LLM, Completion
from graphmem.models import SELF_KEY, Message, Scope, Usage, entity_key, self_key_of
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
from graphmem.shapes import aware, utc
from graphmem.shaping import Shaping
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
from graphmem.validity import Span, closing_time, replaces
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch, content_hash, stable_id

# Decide-and-write rounds when concurrent writers keep committing the same facts first.
WRITE_ATTEMPTS = 3


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
    # The deployer's prompts and domain types (graphmem/shaping.py).
    shaping: Shaping = field(default_factory=Shaping.builtin)
    # The user's name when the messages give one (a user message's `name`).
    speaker: str | None = None

    @property
    def self_aliases(self) -> frozenset[str]:
        """Names of the scope's self besides "I"/"me": its user_id and the speaker's name."""
        names = (self.scope.user_id, self.speaker)
        return frozenset(entity_key(n) for n in names if n and entity_key(n))

    def key_of(self, name: str) -> str:
        return self_key_of(name, self.self_aliases)

    def span(self, draft: Draft) -> Span:
        """The draft's times: valid from its own date, else from when it was said; but a
        fact that had already ended when it was said ("until 2020") has no known start."""
        observed = draft.observed_at or self.at
        start = draft.valid_from
        if start is None and (draft.valid_to is None or utc(draft.valid_to) >= utc(observed)):
            start = observed
        return Span(start, draft.valid_to, observed)


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
    _constrain_types(ctx, drafts)
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
        FactQuestion(f.draft.text, f.decision, ctx.span(f.draft))
        for f in facts
        if not f.decision.settled
    ]
    if llm is not None and (questions or fact_questions):
        completion = resolve(llm, questions, fact_questions, prompt=ctx.shaping.resolution)
        _count(ctx.usage, [completion] if completion else [])
    for question in questions:
        question.decision.ask = []  # without an LLM, the safe default: a new entity
    for fact_question in fact_questions:
        fact_question.decision.ask = []
    _finalise_keys(entities)


def resolve_entities(ctx: WriteContext, draft: Draft) -> tuple[list[NewEntity], dict[str, str]]:
    """The entities a draft names, resolved against the scope by rule (no LLM call): exact
    keys and confirmed names merge, anything else is new. Returns the entity rows to write
    and each name's key -> the key it resolved to (for an edit of a stored fact)."""
    _constrain_types(ctx, [draft])
    entities, _ = _plan(ctx, [draft])
    _embed(ctx, entities, [])
    _resolve_all(ctx.store, ctx, entities, [], None)
    rows = [
        NewEntity(e.name, e.type, e.vector, explicit_key=e.final_key, aliases=_aliases(ctx, e))
        for e in entities
        if e.write_row
    ]
    return rows, {e.key: e.final_key for e in entities}


class _FactsTaken(Exception):
    """Another writer committed some of this add's facts first, or a delete removed what
    its decisions rest on; decide again."""


# ---- planning -----------------------------------------------------------------------------


def _constrain_types(ctx: WriteContext, drafts: Sequence[Draft]) -> None:
    """The domain schema's types in place of the drafts' own (the open domain keeps them)."""
    if not ctx.shaping.domain:
        return
    mapping = ctx.shaping.types.map(
        {t for d in drafts for _, t in d.entities},
        {r.type for d in drafts for r in d.relations},
        ctx.embedder,
    )
    ctx.usage.embeddings += mapping.embedded
    for draft in drafts:
        draft.entities = [(name, mapping.entities[t]) for name, t in draft.entities]
        for relation in draft.relations:
            relation.type = mapping.relations[relation.type]


def self_name(ctx: WriteContext) -> str:
    """The display name of the scope's self entity: the user's name when the messages give
    it, else the scope's id."""
    scope = ctx.scope
    return ctx.speaker or scope.user_id or scope.agent_id or scope.run_id or SELF_NAME


def _plan(ctx: WriteContext, drafts: Sequence[Draft]) -> tuple[list[_Entity], list[_Fact]]:
    entities: dict[str, _Entity] = {}
    facts: dict[str, _Fact] = {}
    for draft in drafts:
        digest = content_hash(draft.text)
        facts.setdefault(digest, _Fact(draft, digest))
        for name, type_ in draft.entities:
            key = ctx.key_of(name)
            if key == SELF_KEY:
                entities.setdefault(key, _Entity(key, self_name(ctx), "Person"))
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
    # The self is always read: its stored aliases (the user's name) claim names below.
    keys = [SELF_KEY, *(e.key for e in entities)]
    known = store_candidates.known(reader, ctx.scope, keys, hashes)
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
    stored_self = exact.get(SELF_KEY)
    for entity in others:
        if stored_self is not None and entity.key in stored_self.aliases:
            # A name the user is known by (stored from an earlier add): the self entity.
            entity.decision = EntityDecision(merge_into=stored_self)
            continue
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
            source = ctx.key_of(rel.source)
            if source in exact:
                kind = identifiers.relation_type(rel.type)
                items.append((index, source, kind, ctx.key_of(rel.target), fact.vector))
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
        changes.lock_scope_in(tx, ctx.scope, ctx.episode_id)
        _resolve_all(TransactionReader(tx), ctx, entities, facts, None)
        writes = _writes(ctx, entities, facts)
        _apply(tx, ctx, writes)
        return writes

    writes = ctx.store.write(work)
    return _result(ctx, facts, writes, entities)


def _write(ctx: WriteContext, entities: list[_Entity], facts: list[_Fact]) -> dict[str, Any]:
    """Write decisions made before the transaction; _FactsTaken if they went stale: another
    writer stored these facts, or a delete removed an entity or fact they rest on."""
    writes = _writes(ctx, entities, facts)
    hashes = [row.props["content_hash"] for row in writes.batch.facts]

    def work(tx: ManagedTransaction) -> None:
        taken, gone = changes.lock_scope_in(
            tx, ctx.scope, ctx.episode_id, hashes, writes.touched, writes.duplicates
        )
        if taken or gone:
            raise _FactsTaken
        _apply(tx, ctx, writes)

    ctx.store.write(work)
    return _result(ctx, facts, writes, entities)


def _writes(ctx: WriteContext, entities: list[_Entity], facts: list[_Fact]) -> _Writes:
    keys = {e.key: e.final_key for e in entities}
    written = [f for f in facts if f.decision.event != "NONE"]
    new_facts = [_new_fact(ctx, f, keys) for f in written]
    referenced = {k for nf in new_facts for k in nf.entities} | {
        k for nf in new_facts for r in nf.relations for k in (r.source, r.target)
    }
    rows = [e for e in entities if e.write_row and e.final_key in referenced]
    new_entities = [
        NewEntity(e.name, e.type, e.vector, explicit_key=e.final_key, aliases=_aliases(ctx, e))
        for e in rows
    ]
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


def _aliases(ctx: WriteContext, entity: _Entity) -> list[str]:
    """The names the self entity is stored under besides its key (lookups use them)."""
    if entity.final_key != SELF_KEY:
        return []
    return sorted(ctx.self_aliases | {entity_key(entity.name)})


def _new_fact(ctx: WriteContext, fact: _Fact, keys: Mapping[str, str]) -> NewFact:
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
    )


def _supersessions(ctx: WriteContext, written: list[_Fact]) -> list[changes.Supersession]:
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
    ctx: WriteContext, written: list[_Fact], supersessions: list[changes.Supersession]
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
    ctx: WriteContext, facts: list[_Fact], writes: _Writes, entities: list[_Entity]
) -> dict[str, Any]:
    batch = writes.batch
    # Facts that arrived after a fact dated later: added, but as history.
    closed_by = {r.old_id: r.new_id for r in writes.supersessions}
    results = []
    for fact in facts:
        decision = fact.decision
        if fact.id and fact.id in closed_by:
            results.append(
                {
                    "id": fact.id,
                    "memory": fact.draft.text,
                    "event": "ADD",
                    "superseded_by": closed_by[fact.id],
                }
            )
        elif decision.event == "NONE":
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
    superseded = [r.old_id for r in writes.supersessions if r.event == "CONTRADICTS"]
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
