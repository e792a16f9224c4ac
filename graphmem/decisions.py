"""One add's plan and decisions: the entities and facts its drafts name, embedded in one
batch, decided against the scope's candidates (by rule: exact keys, confirmed names, equal
content), the open questions settled by one batched resolution call or, without an LLM, by
the safe default (a new entity, an added fact).

graphmem/ingest.py runs these stages and writes what they decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from graphmem import identifiers
from graphmem.drafts import Draft
from graphmem.embed import Embedder
from graphmem.extract import SELF_NAME
from graphmem.llm.base import LLM, Completion
from graphmem.models import SELF_KEY, Scope, Usage, entity_key, self_key_of
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
from graphmem.shapes import utc
from graphmem.shaping import Shaping
from graphmem.store import candidates as store_candidates
from graphmem.store.neo4j import GraphStore, Reader
from graphmem.validity import Span
from graphmem.writer import content_hash


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
    # References of the images the messages carried (graphmem/images.py), kept on each fact.
    attachments: list[str] = field(default_factory=list)

    @cached_property
    def self_aliases(self) -> frozenset[str]:
        """Names of the scope's self besides "I"/"me": its user_id and the speaker's name.
        Kept once computed: key_of asks for it for every name of every fact."""
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
class PlannedEntity:
    key: str
    name: str
    type: str
    vector: list[float] = field(default_factory=list)
    decision: EntityDecision = field(default_factory=EntityDecision)
    final_key: str = ""
    write_row: bool = True


@dataclass
class PlannedFact:
    draft: Draft
    digest: str
    vector: list[float] = field(default_factory=list)
    decision: FactDecision = field(default_factory=FactDecision)
    id: str = ""


def resolve_all(
    reader: Reader,
    ctx: WriteContext,
    entities: list[PlannedEntity],
    facts: list[PlannedFact],
    llm: LLM | None,
    known: store_candidates.Known | None = None,
) -> None:
    """Decide every entity and fact: by rule, else by one batched LLM call, else safely.
    `known`: what the scope holds of `lookups(...)`, when the caller read it already."""
    if known is None:
        keys, hashes = lookups(entities, facts, ask=llm is not None)
        known = store_candidates.known(reader, ctx.scope, keys, hashes)
    _decide(reader, ctx, entities, facts, known, ask=llm is not None)
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
        count_usage(ctx.usage, [completion] if completion else [])
    for question in questions:
        question.decision.ask = []  # without an LLM, the safe default: a new entity
    for fact_question in fact_questions:
        fact_question.decision.ask = []
    _finalise_keys(entities)


# ---- planning -----------------------------------------------------------------------------


def constrain_types(ctx: WriteContext, drafts: Sequence[Draft]) -> None:
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
    return ctx.speaker or ctx.scope.first_id or SELF_NAME


def plan(
    ctx: WriteContext, drafts: Sequence[Draft]
) -> tuple[list[PlannedEntity], list[PlannedFact]]:
    entities: dict[str, PlannedEntity] = {}
    facts: dict[str, PlannedFact] = {}
    for draft in drafts:
        digest = content_hash(draft.text)
        facts.setdefault(digest, PlannedFact(draft, digest))
        for name, type_ in draft.entities:
            key = ctx.key_of(name)
            if key == SELF_KEY:
                entities.setdefault(key, PlannedEntity(key, self_name(ctx), "Person"))
                continue
            sanitised = identifiers.entity_type(type_)
            known = entities.get(key)
            if known is None or (known.type == identifiers.DEFAULT_ENTITY_TYPE):
                entities[key] = PlannedEntity(key, name.strip(), sanitised)
    return list(entities.values()), list(facts.values())


def embed(ctx: WriteContext, entities: list[PlannedEntity], facts: list[PlannedFact]) -> None:
    texts = [f.draft.text for f in facts] + [e.name for e in entities]
    if not texts:
        return
    vectors = ctx.embedder.embed(texts)
    ctx.usage.embeddings += len(texts)
    for fact, vector in zip(facts, vectors[: len(facts)], strict=True):
        fact.vector = vector
    for entity, vector in zip(entities, vectors[len(facts) :], strict=True):
        entity.vector = vector


def lookups(
    entities: Sequence[PlannedEntity], facts: Sequence[PlannedFact], *, ask: bool
) -> tuple[list[str], list[str]]:
    """The entity keys and content hashes an add looks up in its scope (store/candidates.py,
    known). `ask`: an LLM will settle open questions (then similar facts, equal ones among
    them, are read by similarity, not by hash)."""
    # The self is always read: its stored aliases (the user's name) claim names.
    keys = [SELF_KEY, *(e.key for e in entities)]
    return keys, [] if ask else [f.digest for f in facts]


def _decide(
    reader: Reader,
    ctx: WriteContext,
    entities: list[PlannedEntity],
    facts: list[PlannedFact],
    known: store_candidates.Known,
    *,
    ask: bool,
) -> None:
    """Decide by rule from the store's candidates; `ask`: an LLM will settle open questions."""
    _decide_entities(reader, ctx, entities, known.entities, known.entity_count)
    # Similar facts and relation rivals are questions for an LLM; without one they become
    # plain adds, so only equal content (a duplicate, found by `known`) decides anything.
    candidates = _fact_candidates(reader, ctx, facts, known.entities) if ask else known.duplicates
    for index, fact in enumerate(facts):
        fact.decision = decide_fact(fact.digest, candidates.get(index, []))


def _decide_entities(
    reader: Reader,
    ctx: WriteContext,
    entities: list[PlannedEntity],
    exact: dict[str, EntityCandidate],
    size: int | None,
) -> None:
    """`size`: the scope's entity count when it was read with `exact` (else None)."""
    others = [e for e in entities if e.key != SELF_KEY]
    # An exact key of a compatible type merges whatever the vectors say (decide_entity), so
    # only the other entities need the similarity scan: in a scope that already knows most
    # names, that is a few per add instead of all of them.
    unsettled = [e for e in others if not _merges_by_key(e, exact)]
    similar = store_candidates.similar_entities(
        reader, ctx.scope, [(e.key, e.vector) for e in unsettled], ctx.threshold, size
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
    reader: Reader, ctx: WriteContext, facts: list[PlannedFact], exact: dict[str, EntityCandidate]
) -> dict[int, list[FactCandidate]]:
    """Per fact: similar or equal stored facts, then those behind relations it may replace."""
    found = store_candidates.similar_facts(
        reader, ctx.scope, [(f.digest, f.vector) for f in facts], ctx.threshold
    )
    for index, rivals in _relation_rivals(reader, ctx, facts, exact).items():
        seen = {c.id for c in found.get(index, [])}
        found.setdefault(index, []).extend(c for c in rivals if c.id not in seen)
    return found


def _merges_by_key(entity: PlannedEntity, exact: Mapping[str, EntityCandidate]) -> bool:
    stored = exact.get(entity.key)
    return stored is not None and compatible(stored.type, entity.type)


def _relation_rivals(
    reader: Reader,
    ctx: WriteContext,
    facts: list[PlannedFact],
    exact: Mapping[str, EntityCandidate],
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


def _finalise_keys(entities: list[PlannedEntity]) -> None:
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


def count_usage(usage: Usage, completions: Sequence[Completion]) -> None:
    for completion in completions:
        usage.llm_calls += 1
        usage.prompt_tokens += completion.prompt_tokens
        usage.completion_tokens += completion.completion_tokens
