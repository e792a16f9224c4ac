"""What REST routes answer, as typed OpenAPI models.

The shapes are mem0's (items with id, memory, hash, metadata, score, created_at, updated_at,
user_id...; relations as {source, relationship, destination}; add events ADD / UPDATE /
DELETE / NONE) with graphmem's fields beside them. Every model allows fields it does not
name, so an answer carries all of what the Python API returns (graphmem/memory.py) and
the schema documents the part clients rely on. Timestamps are ISO 8601 text in UTC ("Z").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A documented shape that keeps the fields it does not name."""

    model_config = ConfigDict(extra="allow")


class RelationOut(Open):
    """A relation: mem0's names (source, relationship, destination), graphmem's beside."""

    source: str
    relationship: str
    destination: str
    relation: str | None = Field(default=None, description="graphmem's name of relationship")
    target: str | None = Field(default=None, description="graphmem's name of destination")
    fact_id: str | None = Field(default=None, description="The memory the relation rests on.")
    valid_from: str | None = None
    valid_to: str | None = None


class MemoryOut(Open):
    """A memory (a fact) as get, list and search return it."""

    id: str
    memory: str
    hash: str | None = Field(default=None, description="SHA-256 of the normalised text.")
    metadata: dict[str, Any] | None = None
    score: float | None = Field(default=None, description="Search only: what ordered it.")
    created_at: str | None = None
    updated_at: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    status: Literal["active", "superseded", "deleted"] = "active"
    entities: list[str] = Field(default_factory=list)
    valid_from: str | None = None
    valid_to: str | None = None
    attachments: list[str] = Field(default_factory=list)
    rerank_score: float | None = Field(default=None, description="With a reranker only.")


class AddEvent(Open):
    """One outcome of an add, as mem0 reports it."""

    id: str
    memory: str
    event: Literal["ADD", "UPDATE", "DELETE", "NONE"]
    previous_memory: str | None = None
    supersedes: list[str] | None = Field(
        default=None, description="ADD of a fact replacing these (each reported DELETE)."
    )
    superseded_by: str | None = Field(
        default=None, description="DELETE: the fact that replaced it (kept as history)."
    )


class AddRelations(Open):
    added_entities: list[RelationOut]
    deleted_entities: list[RelationOut] = Field(default_factory=list)
    superseded: list[str] = Field(default_factory=list)


class Usage(Open):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    embeddings: int = 0


class AddResponse(Open):
    results: list[AddEvent]
    relations: AddRelations
    usage: Usage
    episode_id: str


class SearchResponse(Open):
    results: list[MemoryOut]
    relations: list[RelationOut]
    context: str = Field(description="The results as a block for a prompt.")


class ListResponse(Open):
    results: list[MemoryOut]
    relations: list[RelationOut] = Field(default_factory=list)


class HistoryEntry(Open):
    """One change of a memory, as mem0's history lists it, with graphmem's actor and reason."""

    id: str
    memory_id: str
    event: str = Field(description="ADD, UPDATE, DELETE, or SUPERSEDE (graphmem's).")
    old_memory: str | None = None
    new_memory: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    is_deleted: bool = False
    actor_id: str | None = None
    role: str | None = None
    actor: str | None = None
    reason: str | None = None


class MessageResponse(Open):
    message: str


class UpdateRelations(Open):
    """The relations an update derived anew and the ones it dropped."""

    added: list[RelationOut] = Field(default_factory=list)
    removed: list[RelationOut] = Field(default_factory=list)


class UpdateResponse(Open):
    message: str
    id: str
    memory: str
    event: Literal["UPDATE", "NONE"]
    previous_memory: str | None = None
    relations: UpdateRelations | None = None


class RecordsResponse(Open):
    """A listing of records (entities, erasure records): {"results": [...]}."""

    results: list[dict[str, Any]]


class EntityHistoryResponse(Open):
    entity: dict[str, Any]
    facts: list[MemoryOut]
    relations: list[RelationOut]
    timeline: list[dict[str, Any]]
