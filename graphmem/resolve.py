"""Extraction + candidates from the store -> decisions (merge / add / NONE / update / supersede).

Rules (DESIGN.md, write path step 5):

- An entity whose exact key exists with a compatible type merges without asking.
- A vector candidate (raw cosine >= similarity_threshold) only *proposes* a merge. It is
  confirmed without asking when one name's words begin the other's and both carry the same
  specific type ("Lena" / "Lena Fischer", Person); otherwise the resolution call decides.
  Candidates of an incompatible type are dropped: a Place is never a Person.
- A fact whose content hash exists is a duplicate (NONE) without asking; one with vector
  candidates goes to the resolution call; one with none is added.
- All questions of one add go out in ONE call. Existing items are shown under small integer
  ids (models invent UUIDs, not small integers from a short list) and mapped back; an id the
  model invents, or one that was not offered for that item, is ignored and the safe default
  (a new entity, an added fact) applies.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from graphmem.errors import ExtractionError
from graphmem.identifiers import DEFAULT_ENTITY_TYPE
from graphmem.llm.base import LLM, ChatMessage, Completion
from graphmem.llm.json_output import parse_json_object
from graphmem.prompts import Prompt, load_prompt
from graphmem.shapes import utc
from graphmem.validity import Span

log = logging.getLogger("graphmem.resolve")
FactEvent = Literal["ADD", "NONE", "UPDATE", "CONTRADICTS"]
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class EntityCandidate:
    """An existing entity of the scope that a new mention may denote."""

    id: str
    key: str
    name: str
    type: str
    score: float = 1.0
    # Other names (keys) it is known by; only the scope's self entity has any.
    aliases: frozenset[str] = frozenset()
    # Whether it has a vector in the active slot (write/batch stores one only where none is).
    embedded: bool = True


@dataclass(frozen=True)
class FactCandidate:
    """An existing active fact of the scope that a new fact may repeat, refine or contradict."""

    id: str
    text: str
    content_hash: str
    score: float = 1.0
    span: Span = field(default_factory=Span)


@dataclass
class EntityDecision:
    """Where a new entity mention goes: an existing key (merge) or a new node."""

    merge_into: EntityCandidate | None = None
    ask: list[EntityCandidate] = field(default_factory=list)
    # The exact key is taken by an entity of an incompatible type.
    key_taken: bool = False

    @property
    def settled(self) -> bool:
        return not self.ask


@dataclass
class FactDecision:
    """What a new fact does to the memory."""

    event: FactEvent = "ADD"
    existing: list[FactCandidate] = field(default_factory=list)
    ask: list[FactCandidate] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.ask


# ---- rules that need no LLM ----------------------------------------------------------------


def compatible(a: str, b: str) -> bool:
    """Types that may name the same thing: equal, or one of them unknown (Thing)."""
    return a == b or DEFAULT_ENTITY_TYPE in (a, b)


def names_confirm(a: str, b: str) -> bool:
    """One name's words begin the other's: "Lena" / "Lena Fischer", "Acme" / "Acme Corp".

    A prefix, not any subset: "York" is not "New York", and a surname alone is ambiguous.
    """
    words_a, words_b = _WORDS.findall(a.casefold()), _WORDS.findall(b.casefold())
    shorter, longer = sorted((words_a, words_b), key=len)
    return bool(shorter) and longer[: len(shorter)] == shorter


def decide_entity(
    name: str,
    type_: str,
    exact: EntityCandidate | None,
    similar: Sequence[EntityCandidate],
) -> EntityDecision:
    """The decision for one new entity (type already sanitised), asking only when ambiguous."""
    if exact is not None and compatible(exact.type, type_):
        return EntityDecision(merge_into=exact)
    others = [c for c in similar if compatible(c.type, type_) and (exact is None or c != exact)]
    for candidate in sorted(others, key=lambda c: -c.score):
        same_kind = candidate.type == type_ and type_ != DEFAULT_ENTITY_TYPE
        if same_kind and names_confirm(name, candidate.name):
            return EntityDecision(merge_into=candidate)
    ask = ([exact] if exact is not None else []) + others
    return EntityDecision(ask=ask, key_taken=exact is not None)


def decide_fact(content_hash: str, candidates: Sequence[FactCandidate]) -> FactDecision:
    """The decision for one new fact, asking only when a similar fact exists."""
    for candidate in candidates:
        if candidate.content_hash == content_hash:
            return FactDecision(event="NONE", existing=[candidate])
    return FactDecision(ask=list(candidates))


# ---- the resolution call -------------------------------------------------------------------


@dataclass
class EntityQuestion:
    name: str
    type: str
    decision: EntityDecision


@dataclass
class FactQuestion:
    text: str
    decision: FactDecision
    span: Span = field(default_factory=Span)


def _small_int(value: Any) -> int | None:
    """An id as the model wrote it; anything but a small integer becomes -1 (never offered)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 6 else -1


class _EntityAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    same_as: int | None = None

    @field_validator("same_as", mode="before")
    @classmethod
    def _id(cls, value: Any) -> int | None:
        return _small_int(value)


class _FactAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    event: str = "ADD"
    existing: list[int] = Field(default_factory=list)

    @field_validator("existing", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [i for i in (_small_int(v) for v in items) if i is not None]


class ResolutionAnswer(BaseModel):
    """The resolution call's answer, as the JSON schema sent with the request."""

    model_config = ConfigDict(extra="ignore", title="Resolution")
    entities: list[_EntityAnswer] = Field(default_factory=list)
    facts: list[_FactAnswer] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _ours(cls, data: Any) -> Any:
        # Another shape would read as "no merges, every fact added": unusable, and logged.
        if isinstance(data, dict) and data and not data.keys() & {"entities", "facts"}:
            raise ValueError(f"the answer has neither entities nor facts, only {sorted(data)}")
        return data


@dataclass
class _Numbering:
    """Small integer ids for one call: new items and existing candidates share one sequence."""

    next_id: int = 1
    entities: dict[int, EntityCandidate] = field(default_factory=dict)
    facts: dict[int, FactCandidate] = field(default_factory=dict)
    # new item id -> the candidate ids offered for it; an answer may only pick from these.
    offered: dict[int, set[int]] = field(default_factory=dict)

    def take(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def resolve(
    llm: LLM,
    entities: Sequence[EntityQuestion],
    facts: Sequence[FactQuestion],
    *,
    prompt: Prompt | None = None,
) -> Completion | None:
    """Settle every open question with one LLM call; returns its completion (None: no call).

    Decisions are updated in place. An answer that cannot be read leaves the safe defaults
    (new entity, added fact) and is logged: a failed resolution never loses the add.
    """
    if not entities and not facts:
        return None
    prompt = prompt or load_prompt("resolution")
    numbering = _Numbering()
    payload, new_entities, new_facts = _payload(entities, facts, numbering)
    chat: list[ChatMessage] = [
        {"role": "system", "content": prompt.render()},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False, indent=1)},
    ]
    completion = llm.complete(chat, json_schema=ResolutionAnswer.model_json_schema())
    for question in entities:
        question.decision.ask = []
    for fact_question in facts:
        fact_question.decision.ask = []
    answer = parse_resolution(completion.text)
    if answer is not None:
        _apply_entities(answer, new_entities, numbering)
        _apply_facts(answer, new_facts, numbering)
    return completion


def _payload(
    entities: Sequence[EntityQuestion], facts: Sequence[FactQuestion], numbering: _Numbering
) -> tuple[dict[str, Any], dict[int, EntityQuestion], dict[int, FactQuestion]]:
    new_entities: dict[int, EntityQuestion] = {}
    new_facts: dict[int, FactQuestion] = {}
    entity_items, fact_items = [], []
    for question in entities:
        number = numbering.take()
        new_entities[number] = question
        offered = []
        for candidate in question.decision.ask:
            cid = numbering.take()
            numbering.entities[cid] = candidate
            offered.append({"id": cid, "name": candidate.name, "type": candidate.type})
        numbering.offered[number] = {o["id"] for o in offered}
        entity_items.append(
            {"id": number, "name": question.name, "type": question.type, "candidates": offered}
        )
    for fact_question in facts:
        number = numbering.take()
        new_facts[number] = fact_question
        offered = []
        for fact_candidate in fact_question.decision.ask:
            cid = numbering.take()
            numbering.facts[cid] = fact_candidate
            offered.append({"id": cid, "text": fact_candidate.text, **_dates(fact_candidate.span)})
        numbering.offered[number] = {o["id"] for o in offered}
        fact_items.append(
            {
                "id": number,
                "text": fact_question.text,
                **_dates(fact_question.span),
                "existing_facts": offered,
            }
        )
    return {"new_entities": entity_items, "new_facts": fact_items}, new_entities, new_facts


def _dates(span: Span) -> dict[str, str]:
    """A fact's times as the model sees them: dates (times of day only when set)."""
    shown = {
        "valid_from": span.valid_from,
        "valid_to": span.valid_to,
        "stated_on": span.observed_at,
    }
    return {key: _day(value) for key, value in shown.items() if value is not None}


def _day(moment: datetime) -> str:
    plain = utc(moment).replace(tzinfo=None)  # type: ignore[union-attr]
    return plain.date().isoformat() if plain.time() == time.min else plain.isoformat()


def parse_resolution(text: str) -> ResolutionAnswer | None:
    """The resolution answer, or None (logged) when it cannot be read."""
    try:
        return ResolutionAnswer.model_validate(parse_json_object(text))
    except (ExtractionError, ValidationError) as exc:
        log.warning("resolution answer unusable, keeping safe defaults: %s", exc)
        return None


def _apply_entities(
    answer: ResolutionAnswer, questions: dict[int, EntityQuestion], numbering: _Numbering
) -> None:
    for item in answer.entities:
        question = questions.get(item.id)
        if question is None or item.same_as is None:
            continue
        # Only a candidate offered for this very entity counts; anything else is invented.
        if item.same_as not in numbering.offered.get(item.id, set()):
            log.warning("resolution named entity id %s, never offered; ignored", item.same_as)
            continue
        question.decision.merge_into = numbering.entities[item.same_as]


def _apply_facts(
    answer: ResolutionAnswer, questions: dict[int, FactQuestion], numbering: _Numbering
) -> None:
    for item in answer.facts:
        question = questions.get(item.id)
        if question is None:
            continue
        event = item.event.strip().upper()
        if event not in ("NONE", "UPDATE", "CONTRADICTS"):
            if event != "ADD":
                log.warning("resolution gave unknown event %r; treated as ADD", item.event)
            continue
        offered = numbering.offered.get(item.id, set())
        existing = [numbering.facts[i] for i in item.existing if i in offered]
        if len(existing) < len(item.existing):
            log.warning("resolution named fact ids never offered: %s; ignored", item.existing)
        if existing:
            question.decision.event = event  # type: ignore[assignment]
            question.decision.existing = existing
