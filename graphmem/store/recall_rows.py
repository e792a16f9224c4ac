"""The rows recall's reads return (store/recall_reads.py, store/scope_graph.py) and the
window they read through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Window:
    """Which facts and relations a read can see."""

    statuses: tuple[str, ...] = ("active",)
    as_of: datetime | None = None  # valid_from <= as_of
    valid_after: datetime | None = None  # valid_to > valid_after (None: no check)
    include_invalidated: bool = False

    def params(self) -> dict[str, Any]:
        return {
            "statuses": list(self.statuses),
            "as_of": self.as_of,
            "valid_after": self.valid_after,
            "include_invalidated": self.include_invalidated,
        }


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    name: str | None = None
    degree: int = 0  # for entities: how many facts are about it
    # For facts from the nearest reads: {entity id: how many facts are about it}.
    about: dict[str, int] | None = None


@dataclass(frozen=True)
class Edge:
    source_id: str
    relation: str
    target_id: str
    fact_id: str | None
    reached_id: str
    reached_name: str
    hop: int
    reached_degree: int = 0  # how many facts are about the reached entity


@dataclass(frozen=True)
class ScopeCounts:
    facts: int
    entities: int
    version: tuple[str, ...]  # changes whenever anything is written to the scope


@dataclass
class Vocabulary:
    """Relation types (-> the words the scope's facts use for each) and entity labels."""

    relations: dict[str, list[str]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Link:
    """A relation seen from a frontier entity of the walk, with the fact it rests on."""

    from_id: str
    from_name: str
    outgoing: bool  # the frontier entity is the relation's start node
    relation: str
    to_id: str
    to_name: str
    to_type: str | None  # the far entity's type label (Person, Organization, ...)
    fact_id: str
    score: float  # the fact's raw cosine to the query
