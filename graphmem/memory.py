"""Memory: the facade agents call. add() writes, search() recalls, scoped per user/agent/run."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from graphmem import inputs
from graphmem.config import Settings, load_settings
from graphmem.embed import Embedder, get_embedder
from graphmem.errors import GraphMemError, InputError
from graphmem.metadata import flatten as flatten_metadata
from graphmem.metadata import unflatten
from graphmem.models import EntityRef, FactInput, MemoryItem, Scope, Usage, entity_key
from graphmem.store.neo4j import GraphStore
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch

DEFAULT_TOP_K = 10
MAX_TOP_K = 1000


class Memory:
    """Long-term, relationship-aware memory on Neo4j.

    Build from settings (env GRAPHMEM_*, the config file, or keyword overrides), or
    hand in the parts. The schema is applied once, when the Memory is built.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: GraphStore | None = None,
        embedder: Embedder | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings or load_settings(**overrides)
        self.embedder = embedder or get_embedder(self.settings)
        self.store = store or GraphStore.connect(self.settings)
        self.store.bootstrap(self.embedder.dimension)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- write ----------------------------------------------------------------

    def add(
        self,
        messages: inputs.MessagesLike,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = True,
    ) -> dict[str, Any]:
        """Remember a conversation turn (or several).

        With infer=False each message is stored as a fact as it is. With infer=True an
        LLM distils facts and relations from it (see the write path in the README).
        """
        scope = inputs.scope(user_id, agent_id, run_id)
        turns = inputs.messages(messages)
        flatten_metadata(metadata)  # refuse bad metadata before anything is written
        if infer:
            raise GraphMemError(
                "add(infer=True) needs the extraction pipeline, which is not built yet; "
                "use infer=False or add_facts()"
            )
        facts = [FactInput(text=m.content, metadata=dict(metadata or {})) for m in turns]
        episode_id = str(uuid.uuid4())
        self.store.write_episode(episode_id, scope, turns, infer=False)
        return self._store_facts(scope, episode_id, facts)

    def add_facts(
        self,
        facts: Sequence[str | Mapping[str, Any] | FactInput],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store pre-extracted facts (text, entities, validity, metadata) without an LLM."""
        scope = inputs.scope(user_id, agent_id, run_id)
        items = inputs.facts(facts)
        if metadata:
            items = [f.model_copy(update={"metadata": {**metadata, **f.metadata}}) for f in items]
        for item in items:
            flatten_metadata(item.metadata)
        episode_id = str(uuid.uuid4())
        source = [{"role": "user", "content": f.text} for f in items]
        self.store.write_episode(episode_id, scope, inputs.messages(source), infer=False)
        return self._store_facts(scope, episode_id, items)

    def _store_facts(
        self, scope: Scope, episode_id: str, facts: Sequence[FactInput]
    ) -> dict[str, Any]:
        entities = _entities_of(facts)
        texts = [f.text for f in facts] + [e.name for e in entities]
        vectors = self.embedder.embed(texts)
        fact_vectors = vectors[: len(facts)]
        new_facts = [
            _new_fact(f, v, self.embedder.model) for f, v in zip(facts, fact_vectors, strict=True)
        ]
        new_entities = [
            NewEntity(e.name, e.type, v)
            for e, v in zip(entities, vectors[len(facts) :], strict=True)
        ]
        batch = build_batch(scope, episode_id, new_facts, new_entities)
        self.store.write_batch(batch)
        results = [
            {"id": row.id, "memory": row.props["text"], "event": "ADD"} for row in batch.facts
        ]
        relations = [
            {"source": r.source_key, "relationship": r.type, "target": r.target_key}
            for r in batch.relations
        ]
        usage = Usage(embeddings=len(texts))
        return {
            "results": results,
            "relations": {"added_entities": relations, "superseded": []},
            "usage": usage.model_dump(),
        }

    def reset(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> int:
        """Delete everything stored for the scope (and only that scope)."""
        return self.store.reset_scope(inputs.scope(user_id, agent_id, run_id))

    # -- recall ---------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        top_k: int = DEFAULT_TOP_K,
    ) -> dict[str, Any]:
        """The scope's facts most relevant to the query, best first. No LLM call."""
        scope = inputs.scope(user_id, agent_id, run_id)
        if not query or not query.strip():
            raise InputError("query is empty")
        if not 1 <= top_k <= MAX_TOP_K:
            raise InputError(f"top_k must be between 1 and {MAX_TOP_K}")
        hits = self.store.nearest_facts(scope, self.embedder.embed_one(query), top_k)
        rows = {row["id"]: row for row in self.store.facts_by_id(scope, [h[0] for h in hits])}
        results = [
            _memory_item(rows[fact_id], score).model_dump(mode="json")
            for fact_id, score in hits
            if fact_id in rows
        ]
        return {"results": results, "relations": []}


def _entities_of(facts: Sequence[FactInput]) -> list[EntityRef]:
    """Every entity the facts name, once per key; a typed mention beats a bare one."""
    found: dict[str, EntityRef] = {}
    for fact in facts:
        named = list(fact.entities)
        for triple in fact.relations:
            named += [EntityRef(name=triple.source), EntityRef(name=triple.target)]
        for ref in named:
            key = entity_key(ref.name)
            if key not in found or found[key].type == "Thing":
                found[key] = ref
    return list(found.values())


def _new_fact(fact: FactInput, vector: list[float], model: str) -> NewFact:
    return NewFact(
        text=fact.text,
        embedding=vector,
        metadata=fact.metadata,
        entities=[e.name for e in fact.entities],
        relations=[NewRelation(t.source, t.relation, t.target) for t in fact.relations],
        valid_from=fact.valid_from,
        valid_to=fact.valid_to,
        model=model,
    )


def _memory_item(row: Mapping[str, Any], score: float | None = None) -> MemoryItem:
    return MemoryItem(
        id=row["id"],
        memory=row["text"],
        score=score,
        scores={"vector": score} if score is not None else {},
        status=row.get("status", "active"),
        user_id=row.get("user_id"),
        agent_id=row.get("agent_id"),
        run_id=row.get("run_id"),
        metadata=unflatten(row),
        entities=row.get("entities", []),
        valid_from=_native(row.get("valid_from")),
        valid_to=_native(row.get("valid_to")),
        created_at=_native(row.get("created_at")),
        updated_at=_native(row.get("updated_at")),
    )


def _native(value: Any) -> Any:
    """neo4j.time values -> datetime."""
    return value.to_native() if hasattr(value, "to_native") else value
