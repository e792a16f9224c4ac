"""Turns facts that are ready to store into a WriteBatch: ids, hashes, properties."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from graphmem import identifiers
from graphmem import metadata as metadata_props
from graphmem.models import Scope, entity_key
from graphmem.shapes import utc
from graphmem.store.neo4j import EntityRow, FactRow, RelationRow, WriteBatch
from graphmem.words import relation_words

# Ids derive from (episode, content) so a retried add writes the same nodes again.
_NAMESPACE = uuid.UUID("6f1f9d2e-3b1c-4c39-9a43-8f6c1e0a7b55")


def content_hash(text: str) -> str:
    normalised = " ".join(text.split()).casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


@dataclass
class NewEntity:
    name: str
    type: str
    embedding: list[float] | None  # None: the stored entity keeps its vector
    # Set when the key is not the name's: the scope's self entity ("__self__"), or a name
    # shared with an entity of another type ("jordan [place]"). Added for the write path.
    explicit_key: str | None = None
    aliases: list[str] = field(default_factory=list)  # other keys it is known by (the self)

    @property
    def key(self) -> str:
        return self.explicit_key or entity_key(self.name)


@dataclass
class NewRelation:
    source: str
    relation: str
    target: str


@dataclass
class NewFact:
    text: str
    embedding: list[float]
    metadata: dict[str, Any] = field(default_factory=dict)
    entities: list[str] = field(default_factory=list)
    relations: list[NewRelation] = field(default_factory=list)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    prompt_version: str | None = None
    model: str | None = None
    observed_at: datetime | None = None  # when the message stating it was written
    attachments: list[str] = field(default_factory=list)  # references of images it came with
    id: str | None = None  # a stored fact's own id (an edit); new facts derive theirs


def build_batch(
    scope: Scope, episode_id: str, facts: Sequence[NewFact], entities: Sequence[NewEntity] = ()
) -> WriteBatch:
    """The rows for one transaction. Relation types and entity labels are sanitised here."""
    batch = WriteBatch(scope=scope, episode_id=episode_id)
    scope_props = {"scope_key": scope.key, **scope.params()}  # computed once per batch
    relations: set[tuple[str, str, str, str]] = set()
    now = datetime.now(timezone.utc)
    for entity in entities:
        batch.entities.append(
            EntityRow(
                id=stable_id(scope_props["scope_key"], entity.key),
                key=entity.key,
                name=entity.name.strip(),
                type=identifiers.entity_type(entity.type),
                embedding=entity.embedding,
                aliases=list(entity.aliases),
            )
        )
    for fact in facts:
        digest = content_hash(fact.text)
        fact_id = fact.id or stable_id(episode_id, digest)
        props = _fact_props(scope_props, fact, digest)
        batch.facts.append(FactRow(fact_id, props, fact.embedding))
        mentioned = {entity_key(n) for n in fact.entities}
        for rel in fact.relations:
            mentioned |= {entity_key(rel.source), entity_key(rel.target)}
            kind = identifiers.relation_type(rel.relation)
            row = RelationRow(
                source_key=entity_key(rel.source),
                type=kind,
                target_key=entity_key(rel.target),
                fact_id=fact_id,
                valid_from=fact.valid_from,
                valid_to=fact.valid_to,
            )
            if fact.valid_to is not None and utc(fact.valid_to) <= now:  # over already
                row.type, row.relation = identifiers.HISTORY_RELATION, kind
            # One row per relation: write/batch CREATEs a new fact's relations.
            if (row.source_key, row.type, row.target_key, fact_id) not in relations:
                relations.add((row.source_key, row.type, row.target_key, fact_id))
                batch.relations.append(row)
                words = batch.vocabulary.setdefault(kind, [])
                words.extend(relation_words(fact.text, rel.source, rel.target))
        batch.about.extend((fact_id, key) for key in sorted(mentioned))
    return batch


def _fact_props(scope_props: dict[str, Any], fact: NewFact, digest: str) -> dict[str, Any]:
    return {
        "text": fact.text,
        "content_hash": digest,
        **scope_props,
        "status": "active",
        "valid_from": fact.valid_from,
        "valid_to": fact.valid_to,
        "observed_at": fact.observed_at,
        "prompt_version": fact.prompt_version,
        "model": fact.model,
        **({"attachments": list(fact.attachments)} if fact.attachments else {}),
        **metadata_props.flatten(fact.metadata),
    }
