"""Drafts: facts ready to resolve, from an extraction, from pre-extracted facts, or from
messages stored as they are; and what the messages say about who speaks and when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphmem.extract import Extraction
from graphmem.models import FactInput, Message, entity_key
from graphmem.shapes import aware


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
    # When the message stating it was written, if it says so itself (else the add's time).
    observed_at: datetime | None = None


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


def drafts_from_messages(turns: Sequence[Message], metadata: Mapping[str, Any]) -> list[Draft]:
    """Each message as a fact as it is (add with infer=False), said when the message was."""
    return [Draft(text=m.content, metadata=dict(metadata), observed_at=m.timestamp) for m in turns]


def speaker_name(turns: Sequence[Message]) -> str | None:
    """The user's name, when a user message carries one (OpenAI's `name` field)."""
    return next((m.name.strip() for m in turns if m.role == "user" and m.name), None)


def latest_timestamp(turns: Sequence[Message]) -> datetime | None:
    """When the conversation happened, by its messages' own timestamps (the last of them)."""
    stamps = [aware(m.timestamp) for m in turns if m.timestamp is not None]
    return max(stamps) if stamps else None
