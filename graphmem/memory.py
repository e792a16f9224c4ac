"""Memory: the facade agents call. add() writes, search() recalls, scoped per user/agent/run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from graphmem import backup, drafts, edit, images, ingest, inputs, lookup, mem0_config, recall
from graphmem.config import Settings, load_settings
from graphmem.domain import DomainSchema
from graphmem.embed import Embedder, get_embedder
from graphmem.errors import InputError, NotFoundError
from graphmem.llm import LLM, Completion, get_llm
from graphmem.metadata import flatten as flatten_metadata
from graphmem.models import FactInput, Message, Scope
from graphmem.relations import CueMatcher
from graphmem.rerank import CANDIDATES_PER_RESULT, get_reranker
from graphmem.rerank import rerank as rerank_results
from graphmem.shapes import attachments_in_provenance, history_entry, native
from graphmem.shaping import Shaping
from graphmem.store import changes, erasure
from graphmem.store.graph_reads import GraphReads
from graphmem.store.neo4j import GraphStore, episode_row
from graphmem.store.recall_reads import RecallReads

DEFAULT_TOP_K = 10
DEFAULT_CONTEXT_TOKENS = 800
MAX_LIST_LIMIT = 10_000
MAX_TOP_K = 1000
MAX_CONTEXT_TOKENS = 1_000_000
MAX_OFFSET = 10_000_000
MAX_REQUESTER_CHARS = 200
# Counted by an erasure, but not nodes: reset() reports nodes removed.
NOT_NODES = frozenset({"relations", "superseded_facts"})


class Memory:
    """Long-term, relationship-aware memory on Neo4j.

    Build from settings (env GRAPHMEM_*, the config file, or keyword overrides), or
    hand in the parts. `domain` declares the entity and relation types extraction should
    use (else the settings' `domain_schema_path`, else any type). Custom prompts, the
    instructions and the domain are checked first (ConfigError), then the schema is
    applied once.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: GraphStore | None = None,
        embedder: Embedder | None = None,
        llm: LLM | None = None,
        domain: DomainSchema | None = None,
        **overrides: Any,
    ) -> None:
        mem0_config.refuse_config_object(settings, overrides)  # mem0's Memory(config=...)
        self.settings = settings or load_settings(**overrides)
        self.shaping = Shaping.from_settings(self.settings, domain)
        self.embedder = embedder or get_embedder(self.settings)
        self.store = store or GraphStore.connect(self.settings)
        self.store.bootstrap(self.embedder.dimension, self.embedder.model)
        self._llm = llm
        self.reranker = get_reranker(self.settings, self._extraction_llm)
        # Word vectors for matching queries to relations, cached across this Memory's searches.
        self._matcher = CueMatcher(self.embedder)

    @classmethod
    def from_config(cls, config_dict: Mapping[str, Any]) -> Memory:
        """A Memory from mem0's configuration dict (graph_store, llm, embedder, reranker,
        version, custom prompts): every key that maps becomes a graphmem setting; one that
        does not is a ConfigError naming it and graphmem's equivalent (graphmem/mem0_config.py).
        What the dict leaves out comes from graphmem's settings (GRAPHMEM_*, config file)."""
        return mem0_config.build(cls, config_dict)

    @property
    def domain(self) -> DomainSchema:
        """The domain's declared types and their descriptions (empty: any type goes)."""
        return self.shaping.domain

    def close(self) -> None:
        if self.reranker is not None:
            self.reranker.close()
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
        timestamp: datetime | str | float | None = None,
        memory_type: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, Any]:
        """Remember a conversation turn (or several).

        With infer=True one LLM call distils facts, typed entities and relations, resolved
        against what the scope already holds (a second call only for ambiguous candidates).
        `timestamp` (a datetime, ISO 8601 text or Unix seconds) is when the conversation
        happened; messages may carry their own `timestamp`; default now. Relative dates
        resolve against it, and facts are valid from it unless they say otherwise
        (graphmem/validity.py). A user message's `name` is the user's name: "I" and that
        name are the scope's one self entity. With infer=False each message is stored as a
        fact as it is, through the same resolution and write path without an LLM. Returns
        mem0's shape:
        {"results": [{id, memory, event}], "relations": {...}, "usage": {...}}.
        Raises ExtractionError (with .episode_id; see reextract) when the LLM's answer is
        unusable even after one repair. Messages may hold OpenAI-style image parts: each
        image is described by the configured (vision-capable) model, one call per image, and
        remembered as text (graphmem/images.py); ImageError when it cannot be.
        """
        inputs.unsupported(memory_type=memory_type, prompt=prompt)  # mem0's, not graphmem's
        scope = inputs.scope(user_id, agent_id, run_id)
        metadata = inputs.metadata(metadata)
        when = inputs.moment(timestamp, "timestamp")
        flatten_metadata(metadata)  # refuse bad metadata before anything is written
        described: list[Completion] = []
        if images.present(messages):
            messages, described = images.describe(messages, self._extraction_llm)
        turns = inputs.messages(messages)
        return images.with_usage(self._add(scope, turns, metadata, when, infer), described)

    def _add(
        self,
        scope: Scope,
        turns: Sequence[Message],
        metadata: Mapping[str, Any] | None,
        when: datetime | None,
        infer: bool,
    ) -> dict[str, Any]:
        """The write path for validated turns: one extraction call (infer), or the turns
        stored as facts as they are."""
        if infer:
            return ingest.add_inferred(
                self.store,
                self.embedder,
                self._extraction_llm(),
                scope,
                turns,
                metadata=metadata,
                threshold=self.settings.similarity_threshold,
                timestamp=when,
                shaping=self.shaping,
            )
        stored = drafts.drafts_from_messages(turns, metadata or {})
        return self._add_without_llm(scope, turns, stored, when)

    def _add_without_llm(
        self,
        scope: Scope,
        turns: Sequence[Message],
        facts: Sequence[drafts.Draft],
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
            timestamp or drafts.latest_timestamp(turns) or datetime.now(timezone.utc),
            self.settings.similarity_threshold,
            actor="caller",
            model=self.embedder.model,
            final_status="stored",
            episode=episode_row(episode_id, scope, turns, infer=False),
            shaping=self.shaping,
            speaker=drafts.speaker_name(turns),
            attachments=ingest.attachment_refs(turns),
        )
        return ingest.add_drafts(ctx, facts, llm=None)

    def _extraction_llm(self) -> LLM:
        """The configured LLM, built on first use (an infer=False user never needs one)."""
        if self._llm is None:
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
            shaping=self.shaping,
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
        fact = changes.fact_in_scope(self.store, inputs.text(memory_id, "memory_id"), scope)
        changes.delete_facts(self.store, [fact], actor="caller", reason="delete")
        return {"message": "Memory deleted successfully!", "id": memory_id}

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
        return {"message": "Memories deleted successfully!", "deleted": deleted}

    def update(
        self,
        memory_id: str,
        text: str | None = None,
        *,
        data: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        infer: bool = True,
    ) -> dict[str, Any]:
        """Replace a memory's text (re-embedded) and derive its entities and relations again.

        With infer=True one extraction call reads the new text (like add); with infer=False
        the old relations stay only while the new text names both of their ends. Identical
        text is event NONE (nothing changes). The change log records the old and new text
        and which relations went and came. Returns {id, memory, event, previous_memory,
        relations: {added, removed}} (relation dicts as search shows them; graphmem/edit.py),
        with mem0's `message`. `data` is mem0's name for `text`; `metadata` is merged into
        the memory's (keys not given stay).
        """
        text = inputs.new_text(text, data)
        text = inputs.messages(text)[0].content  # the same checks as a message's content
        metadata = inputs.metadata(metadata)
        flatten_metadata(metadata)  # refuse bad metadata before anything is written
        scope = _optional_scope(user_id, agent_id, run_id)
        fact = changes.fact_in_scope(self.store, inputs.text(memory_id, "memory_id"), scope)
        llm = self._extraction_llm() if infer else None
        edited = edit.update(
            self.store, self.embedder, llm, fact, text, metadata=metadata, shaping=self.shaping
        )
        return {"message": "Memory updated successfully!", **edited}

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
        memory_id = inputs.text(memory_id, "memory_id")
        return [history_entry(c) for c in changes.history(self.store, memory_id, scope)]

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
        metadata = inputs.metadata(metadata)
        timestamp = inputs.moment(timestamp, "timestamp")
        if metadata:
            items = [f.model_copy(update={"metadata": {**metadata, **f.metadata}}) for f in items]
        for item in items:
            flatten_metadata(item.metadata)
        source = inputs.messages([{"role": "user", "content": f.text} for f in items])
        return self._add_without_llm(scope, source, drafts.drafts_from_inputs(items), timestamp)

    def reset(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        all_scopes: bool = False,
    ) -> int:
        """Delete everything stored for the scope (and only that scope): forget() without
        an erasure record. Returns how many nodes were removed.

        mem0's reset() took no scope and wiped the whole store; here that needs
        `all_scopes=True` (every scope's memories, entities, episodes and change log; the
        erasure records and the schema stay). Without scope ids or the flag it is an
        InputError, so a mem0 habit cannot erase every user by accident."""
        given = user_id is not None or agent_id is not None or run_id is not None
        if all_scopes and given:
            raise InputError("reset: give scope ids or all_scopes=True, not both")
        if not all_scopes and not given:
            raise InputError(
                "reset() without user_id, agent_id or run_id would erase every scope (mem0's "
                "reset() wiped the whole store): pass the scope to reset, or all_scopes=True"
            )
        scope = None if all_scopes else inputs.scope(user_id, agent_id, run_id)
        removed = erasure.erase(self.store, scope)
        return sum(n for kind, n in removed.items() if kind not in NOT_NODES)

    def forget(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        requester: str = "caller",
    ) -> dict[str, Any]:
        """Erase every trace of the scope and keep a record that holds no personal data.

        Removes the scope's facts (superseded history too), entities and their relations,
        episodes with their raw messages and the change log; a partial scope (only user_id)
        covers all of that user's agents and runs. Returns the erasure record: id, at,
        requester, counts of what was removed, and a salted hash of the scope (which
        erasures(user_id=...) can match, and nothing can reverse). `requester` says who
        asked (an operator, a ticket; not the data subject)."""
        scope = inputs.scope(user_id, agent_id, run_id)
        requester = inputs.text(requester, "requester")
        if len(requester) > MAX_REQUESTER_CHARS:
            raise InputError(f"requester is longer than {MAX_REQUESTER_CHARS} characters")
        return erasure.erase(self.store, scope, requester=requester)

    def erasures(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """The erasure records, newest first, as {"results": [...]}. With scope ids: only
        the erasures of exactly that scope (its hash matched), which proves it was
        forgotten."""
        scope = _optional_scope(user_id, agent_id, run_id)
        return {"results": erasure.erasures(self.store, scope)}

    # -- recall ---------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        top_k: int | None = None,
        limit: int | None = None,
        threshold: float | None = None,
        rerank: bool = True,
        as_of: datetime | date | str | None = None,
        include_superseded: bool = False,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    ) -> dict[str, Any]:
        """The scope's facts most relevant to the query, best first. No LLM call (unless an
        LLM reranker is configured: then one).

        Returns {"results": [...], "relations": [...], "context": "..."}: facts with their
        score parts (vector, graph, lexical), the relations they rest on, and a context
        block of at most `context_tokens` (estimated) tokens. The scope ids may be given as
        arguments or, as mem0 2.x writes them, inside `filters` ({"user_id": "alice"});
        `filters` is mem0's filter language. `top_k` (default 10; mem0 1.x's `limit`)
        results; `threshold` (0..1) drops results scoring below it; `rerank` lets the
        configured reranker (settings `reranker_provider`, off by default) reorder them;
        `as_of` (a datetime, a date or ISO 8601 text) answers from what was valid then
        (valid time); `include_superseded` adds history. See graphmem/recall.py.
        """
        scope = inputs.scope_with_filters(user_id, agent_id, run_id, filters)
        query = inputs.text(query, "query")
        top_k = inputs.count(top_k, limit, ("top_k", "limit"), DEFAULT_TOP_K, MAX_TOP_K)
        context_tokens = inputs.number(context_tokens, "context_tokens", 0, MAX_CONTEXT_TOKENS)
        reranker = self.reranker if rerank else None
        request = recall.Request(
            query=query,
            scope=scope,
            filters=filters,
            top_k=top_k * CANDIDATES_PER_RESULT if reranker else top_k,
            as_of=inputs.moment(as_of, "as_of"),
            include_superseded=include_superseded,
            context_tokens=context_tokens,
            threshold=inputs.fraction(threshold, "threshold"),
        )
        found = self._recaller().search(request)
        if reranker is not None:
            found = rerank_results(reranker, query, found, top_k, context_tokens)
        return attachments_in_provenance(found)

    def get(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any] | None:
        """One memory by id, or None. With scope ids given, only a memory of that scope."""
        scope = _optional_scope(user_id, agent_id, run_id)
        return lookup.get(RecallReads(self.store), scope, inputs.text(memory_id, "memory_id"))

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int | None = None,
        top_k: int | None = None,
        offset: int = 0,
        include_superseded: bool = False,
    ) -> dict[str, Any]:
        """The scope's memories, newest first, under mem0-style filters, paged (`limit`, or
        mem0 2.x's `top_k`: default 100), as {"results": [...], "relations": [...]}: the
        relations are the scope's current ones (as mem0's graph memory listed them), up
        to the same count. Scope ids as arguments or inside `filters`, as for search."""
        scope = inputs.scope_with_filters(user_id, agent_id, run_id, filters)
        limit = inputs.count(limit, top_k, ("limit", "top_k"), 100, MAX_LIST_LIMIT)
        _check_page(limit, offset)
        found = lookup.get_all(
            RecallReads(self.store),
            scope,
            filters=filters,
            limit=limit,
            offset=offset,
            include_superseded=include_superseded,
        )
        return {**found, "relations": self.relations(**scope.params(), limit=limit)["results"]}

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
        name = inputs.text(name, "entity name")
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
    ) -> dict[str, list[dict[str, Any]]]:
        """The scope's entities, most mentioned first, as {"results": [...]}: id, name, type,
        mentions, and how many current relations and active facts each has."""
        scope = inputs.scope(user_id, agent_id, run_id)
        _check_page(limit, offset)
        found = GraphReads(self.store).entities(scope, type=type, limit=limit, offset=offset)
        return {"results": found}

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
    ) -> dict[str, list[dict[str, Any]]]:
        """The scope's relations as {"results": [(source, relation, target) with the fact
        each rests on]}; optionally those touching `entity` (a name, or "me") or of one
        `type`; current ones unless include_invalidated (then retired ones too)."""
        scope = inputs.scope(user_id, agent_id, run_id)
        _check_page(limit, offset)
        found = GraphReads(self.store).relations(
            scope,
            entity=entity,
            type=type,
            include_invalidated=include_invalidated,
            limit=limit,
            offset=offset,
        )
        return {"results": found}

    # -- backup (graphmem/backup.py) ---------------------------------------------

    def export_graph(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """The scope's entities, facts (any status), episodes and change log and the edges
        among them, without embeddings, as networkx node-link JSON: {"nodes": [...],
        "edges": [...], ...}. restore() (and `graphmem import`) reads it back."""
        return backup.export_document(self.store, inputs.scope(user_id, agent_id, run_id))

    def backup(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """export_graph() of a scope, or with no scope ids of every scope in the database."""
        scope = _optional_scope(user_id, agent_id, run_id)
        return backup.export_document(self.store, scope)

    def restore(
        self,
        document: Mapping[str, Any],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, int]:
        """Write an export/backup document back, as it was (validity, status, change log,
        metadata; new embeddings): into the given scope (a copy, with new ids), or with no
        scope ids each node into the scope it came from (ids kept). Idempotent. Returns
        counts: {scopes, facts, entities, relations, episodes, changes}."""
        target = _optional_scope(user_id, agent_id, run_id)
        return backup.restore(self.store, self.embedder, document, target)

    def _recaller(self) -> recall.Recaller:
        return recall.Recaller(
            RecallReads(self.store),
            self.embedder,
            self.settings.similarity_threshold,
            matcher=self._matcher,
            relation_descriptions=self.domain.relation_descriptions(),
        )


def _optional_scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> Scope | None:
    """A scope when any id is given; memory ids are unique, so by-id calls may omit it."""
    if user_id is None and agent_id is None and run_id is None:
        return None
    return inputs.scope(user_id, agent_id, run_id)


def _check_page(limit: int, offset: int) -> None:
    inputs.number(limit, "limit", 1, MAX_LIST_LIMIT)
    inputs.number(offset, "offset", 0, MAX_OFFSET)
