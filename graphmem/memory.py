"""Memory: the facade agents call. add() writes, search() recalls, scoped per user/agent/run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from graphmem import ingest, inputs, lookup, recall
from graphmem.config import Settings, load_settings
from graphmem.embed import Embedder, get_embedder
from graphmem.errors import InputError, NotFoundError
from graphmem.llm import LLM, get_llm
from graphmem.metadata import flatten as flatten_metadata
from graphmem.models import FactInput, Message, Scope
from graphmem.relations import CueMatcher
from graphmem.store import changes
from graphmem.store.graph_reads import GraphReads
from graphmem.store.neo4j import GraphStore, episode_row, native
from graphmem.store.recall_reads import RecallReads
from graphmem.writer import content_hash

DEFAULT_TOP_K = 10
DEFAULT_CONTEXT_TOKENS = 800
MAX_LIST_LIMIT = 10_000
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
        # Word vectors for matching queries to relations, cached across this Memory's searches.
        self._matcher = CueMatcher(self.embedder)

    def close(self) -> None:
        self.embedder.close()
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
        timestamp: datetime | None = None,
    ) -> dict[str, Any]:
        """Remember a conversation turn (or several).

        With infer=True one LLM call distils facts, typed entities and relations, resolved
        against what the scope already holds (a second call only for ambiguous candidates);
        `timestamp` is when the conversation happened (relative dates resolve against it;
        default now). With infer=False each message is stored as a fact as it is, through
        the same resolution and write path without an LLM. Returns mem0's shape:
        {"results": [{id, memory, event}], "relations": {...}, "usage": {...}}.
        Raises ExtractionError (with .episode_id; see reextract) when the LLM's answer is
        unusable even after one repair.
        """
        scope = inputs.scope(user_id, agent_id, run_id)
        turns = inputs.messages(messages)
        flatten_metadata(metadata)  # refuse bad metadata before anything is written
        if infer:
            return ingest.add_inferred(
                self.store,
                self.embedder,
                self._extraction_llm(),
                scope,
                turns,
                metadata=metadata,
                threshold=self.settings.similarity_threshold,
                timestamp=timestamp,
            )
        drafts = [ingest.Draft(text=m.content, metadata=dict(metadata or {})) for m in turns]
        return self._add_without_llm(scope, turns, drafts, timestamp)

    def _add_without_llm(
        self,
        scope: Scope,
        turns: Sequence[Message],
        drafts: Sequence[ingest.Draft],
        timestamp: datetime | None,
    ) -> dict[str, Any]:
        """The write path without an LLM: resolution, then one write transaction that also
        records the episode (no LLM call for it to outlive)."""
        episode_id = str(uuid.uuid4())
        ctx = ingest.WriteContext(
            self.store,
            self.embedder,
            scope,
            episode_id,
            timestamp or datetime.now(timezone.utc),
            self.settings.similarity_threshold,
            actor="caller",
            model=self.embedder.model,
            final_status="stored",
            episode=episode_row(episode_id, scope, turns, infer=False),
        )
        return ingest.add_drafts(ctx, drafts, llm=None)

    def _extraction_llm(self) -> LLM:
        """The configured LLM, built on first use (an infer=False user never needs one)."""
        if self.__dict__.get("_llm") is None:
            self._llm = get_llm(self.settings)
        return self._llm

    def reextract(self, episode_id: str) -> dict[str, Any]:
        """Run extraction again for a kept Episode (e.g. one whose extraction failed)."""
        found = changes.episode(self.store, episode_id)
        if found is None:
            raise NotFoundError(f"no episode with id {episode_id!r}")
        scope = inputs.scope(found.get("user_id"), found.get("agent_id"), found.get("run_id"))
        turns = inputs.messages(json.loads(found["messages"]))
        when = found.get("occurred_at") or found.get("created_at")
        return ingest.add_inferred(
            self.store,
            self.embedder,
            self._extraction_llm(),
            scope,
            turns,
            metadata=json.loads(found["metadata"]) if found.get("metadata") else None,
            threshold=self.settings.similarity_threshold,
            timestamp=native(when),
            episode_id=episode_id,
        )

    def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Delete one memory, the relations resting on it and entities left orphaned.

        A scope, when given, must contain the memory (NotFoundError otherwise). The change
        log keeps a DELETE entry, so history(memory_id) still answers.
        """
        scope = _optional_scope(user_id, agent_id, run_id)
        fact = changes.fact_in_scope(self.store, memory_id, scope)
        changes.delete_facts(self.store, [fact], actor="caller", reason="delete")
        return {"message": "Memory deleted", "id": memory_id}

    def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Delete every memory of the scope (and only that scope), with their relations and
        entities; episodes and the change log stay (reset() removes those too)."""
        scope = inputs.scope(user_id, agent_id, run_id)
        facts = changes.facts_of_scope(self.store, scope)
        deleted = changes.delete_facts(self.store, facts, actor="caller", reason="delete_all")
        return {"message": "Memories deleted", "deleted": deleted}

    def update(
        self,
        memory_id: str,
        text: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Replace a memory's text (re-embedded) and log the edit; its links stay."""
        if not isinstance(text, str) or not text.strip():
            raise InputError("the new text is empty")
        scope = _optional_scope(user_id, agent_id, run_id)
        fact = changes.fact_in_scope(self.store, memory_id, scope)
        vector = self.embedder.embed_one(text)
        changes.update_fact(self.store, fact, text, content_hash(text), vector, actor="caller")
        return {
            "id": memory_id,
            "memory": text,
            "event": "UPDATE",
            "previous_memory": fact["text"],
        }

    def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The change log of a memory, with the facts it superseded or was superseded by,
        oldest first: [{id, memory_id, event, old_memory, new_memory, created_at, actor,
        reason}]."""
        scope = _optional_scope(user_id, agent_id, run_id)
        return [_history_entry(c) for c in changes.history(self.store, memory_id, scope)]

    def add_facts(
        self,
        facts: Sequence[str | Mapping[str, Any] | FactInput],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> dict[str, Any]:
        """Store pre-extracted facts (text, entities, relations, validity, metadata).

        The same resolution and write path as add(), without an LLM: duplicates come back
        as NONE, exact entity names merge, and ambiguous candidates stay separate.
        """
        scope = inputs.scope(user_id, agent_id, run_id)
        items = inputs.facts(facts)
        if metadata:
            items = [f.model_copy(update={"metadata": {**metadata, **f.metadata}}) for f in items]
        for item in items:
            flatten_metadata(item.metadata)
        source = inputs.messages([{"role": "user", "content": f.text} for f in items])
        return self._add_without_llm(scope, source, ingest.drafts_from_inputs(items), timestamp)

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
        filters: Mapping[str, Any] | None = None,
        top_k: int = DEFAULT_TOP_K,
        as_of: datetime | None = None,
        include_superseded: bool = False,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    ) -> dict[str, Any]:
        """The scope's facts most relevant to the query, best first. No LLM call.

        Returns {"results": [...], "relations": [...], "context": "..."}: facts with their
        score parts (vector, graph, lexical), the relations they rest on, and a context
        block of at most `context_tokens` (estimated) tokens. `filters` is mem0's filter
        language; `as_of` answers from what was valid then; `include_superseded` adds
        history. See graphmem/recall.py for the pipeline.
        """
        scope = inputs.scope(user_id, agent_id, run_id)
        if not query or not query.strip():
            raise InputError("query is empty")
        if not 1 <= top_k <= MAX_TOP_K:
            raise InputError(f"top_k must be between 1 and {MAX_TOP_K}")
        if context_tokens < 0:
            raise InputError("context_tokens must not be negative")
        request = recall.Request(
            query=query,
            scope=scope,
            filters=filters,
            top_k=top_k,
            as_of=as_of,
            include_superseded=include_superseded,
            context_tokens=context_tokens,
        )
        return self._recaller().search(request)

    def get(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any] | None:
        """One memory by id, or None. With scope ids given, only a memory of that scope."""
        scoped = user_id is not None or agent_id is not None or run_id is not None
        scope = inputs.scope(user_id, agent_id, run_id) if scoped else None
        return lookup.get(RecallReads(self.store), scope, memory_id)

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
        include_superseded: bool = False,
    ) -> dict[str, Any]:
        """The scope's memories, newest first, under mem0-style filters, paged."""
        scope = inputs.scope(user_id, agent_id, run_id)
        if not 1 <= limit <= MAX_LIST_LIMIT or offset < 0:
            raise InputError(f"limit must be 1..{MAX_LIST_LIMIT} and offset >= 0")
        return lookup.get_all(
            RecallReads(self.store),
            scope,
            filters=filters,
            limit=limit,
            offset=offset,
            include_superseded=include_superseded,
        )

    def entity_history(
        self,
        name: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any] | None:
        """An entity's timeline in the scope: facts and relations with validity, or None."""
        scope = inputs.scope(user_id, agent_id, run_id)
        if not name or not name.strip():
            raise InputError("entity name is empty")
        return lookup.entity_history(RecallReads(self.store), scope, name)

    # -- the graph as a graph (graphmem/store/graph_reads.py) --------------------

    def entities(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        type: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The scope's entities, most mentioned first: id, name, type, mentions, and how
        many current relations and active facts each has."""
        scope = inputs.scope(user_id, agent_id, run_id)
        _check_page(limit, offset)
        return GraphReads(self.store).entities(scope, type=type, limit=limit, offset=offset)

    def relations(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        entity: str | None = None,
        type: str | None = None,
        include_invalidated: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The scope's relations as (source, relation, target) with the fact each rests on;
        optionally those touching `entity` or of one `type`; current ones unless
        include_invalidated."""
        scope = inputs.scope(user_id, agent_id, run_id)
        _check_page(limit, offset)
        return GraphReads(self.store).relations(
            scope,
            entity=entity,
            type=type,
            include_invalidated=include_invalidated,
            limit=limit,
            offset=offset,
        )

    def export_graph(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """The scope's entities and facts (any status) and the edges among them, without
        embeddings: {"nodes": [...], "edges": [...]}."""
        return GraphReads(self.store).export(inputs.scope(user_id, agent_id, run_id))

    def _recaller(self) -> recall.Recaller:
        return recall.Recaller(
            RecallReads(self.store),
            self.embedder,
            self.settings.similarity_threshold,
            matcher=self._matcher,
        )


def _optional_scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> Scope | None:
    """A scope when any id is given; memory ids are unique, so by-id calls may omit it."""
    if user_id is None and agent_id is None and run_id is None:
        return None
    return inputs.scope(user_id, agent_id, run_id)


def _history_entry(change: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": change["id"],
        "memory_id": change["target_id"],
        "event": change["op"],
        "old_memory": change.get("old"),
        "new_memory": change.get("new"),
        "created_at": native(change.get("at")),
        "actor": change.get("actor"),
        "reason": change.get("reason"),
    }


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIST_LIMIT or offset < 0:
        raise InputError(f"limit must be 1..{MAX_LIST_LIMIT} and offset >= 0")
