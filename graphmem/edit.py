"""update(): a caller's edit of one memory's text, with its entities and relations derived
again, so the graph never keeps saying what the text no longer says.

With an LLM, the new text goes through one extraction call and its entities and relations
replace the old ones (entities resolved by rule: exact names merge, new names are new
entities). Without one, the old relations are kept only while the new text still names
both of their ends, and the entities only while it names them: "Bob lives in Hamburg."
drops LIVES_IN Munich (a wrong relation is worse than a missing one). Identical text
(same content hash) changes nothing and is reported as NONE. Everything is one
transaction: the text and its embedding, the links, the orphans left behind, and one
change-log entry saying which relations went and came. The memory keeps its id.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from neo4j import ManagedTransaction

from graphmem import drafts, ingest
from graphmem import metadata as metadata_props
from graphmem.embed import Embedder
from graphmem.errors import StoreError
from graphmem.extract import SELF_NAME, extract
from graphmem.llm.base import LLM
from graphmem.models import SELF_ALIASES, SELF_KEY, Message, Scope
from graphmem.shapes import mem0_triple
from graphmem.shaping import Shaping
from graphmem.store import changes
from graphmem.store.neo4j import (
    GraphStore,
    WriteBatch,
    apply_batches,
    episode_row,
    write_episodes_in,
)
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch, content_hash

Triple = tuple[str, str, str]  # (source name, relation type, target name)


def update(
    store: GraphStore,
    embedder: Embedder,
    llm: LLM | None,
    fact: Mapping[str, Any],
    text: str,
    *,
    metadata: Mapping[str, Any] | None = None,
    actor: str = "caller",
    shaping: Shaping | None = None,
) -> dict[str, Any]:
    """Replace the text of `fact` (changes.fact_in_scope's row) and derive its links again.

    The links are derived outside the scope's lock (the extraction call may be slow) and
    written under it; when a delete removed meanwhile an entity they rest on, they are
    derived again (the LLM is not asked twice), and when it removed the fact itself, the
    update is a NotFoundError. `metadata` is merged into the fact's own (also when the text
    is the same, event NONE)."""
    fact_id = fact["id"]
    digest = content_hash(text)
    stored = changes.fact_links(store, fact_id)
    props = metadata_props.flatten(metadata or {})
    if digest == stored["content_hash"]:
        if props:
            changes.merge_metadata(store, fact_id, props)
        return {"id": fact_id, "memory": fact["text"], "event": "NONE"}
    scope = Scope(user_id=fact["user_id"], agent_id=fact["agent_id"], run_id=fact["run_id"])
    edit_id = str(uuid.uuid4())
    turns = [Message(role="user", content=text)]
    ctx = ingest.WriteContext(
        store,
        embedder,
        scope,
        edit_id,
        datetime.now(timezone.utc),
        threshold=0.0,  # unused: entities resolve by rule only
        actor=actor,
        shaping=shaping or Shaping.builtin(),
    )
    # The edit is an episode of its own: the relations derived from it point at it.
    episode = {**episode_row(edit_id, scope, turns, infer=llm is not None), "status": "stored"}
    vector = embedder.embed_one(text)
    extracted = _extracted(ctx, llm, turns) if llm is not None else None
    for _ in range(ingest.WRITE_ATTEMPTS):
        if extracted is not None:
            new_fact, rows = _by_extraction(ctx, extracted, stored)
        else:
            new_fact, rows = _by_names(text, stored), []
        new_fact.id, new_fact.text, new_fact.embedding = fact_id, text, vector
        try:
            return _write(ctx, fact, new_fact, rows, stored, episode, props)
        except _Stale:
            stored = changes.fact_links(store, fact_id)  # NotFoundError once it is deleted
    raise StoreError(
        f"gave up updating memory {fact_id} after {ingest.WRITE_ATTEMPTS} attempts: deletes "
        "kept removing what its relations rest on; retry"
    )


def _write(
    ctx: ingest.WriteContext,
    fact: Mapping[str, Any],
    new_fact: NewFact,
    rows: Sequence[NewEntity],
    stored: Mapping[str, Any],
    episode: dict[str, Any],
    metadata: Mapping[str, Any],
) -> dict[str, Any]:
    """One transaction under the scope's lock: the text and its embedding, the links, the
    orphans left behind, the change-log entry. _Stale when a delete removed meanwhile the
    fact or a stored entity the new links rest on."""
    fact_id, text = fact["id"], new_fact.text
    batch = build_batch(ctx.scope, ctx.episode_id, [new_fact], list(rows))
    batch.facts = []  # the fact itself is edited in place, not written anew
    before = _triples(stored["relations"])
    after = _named_triples(batch, stored, rows)
    change = changes.Change(
        str(uuid.uuid4()),
        0,
        fact_id,
        "UPDATE",
        fact["text"],
        text,
        ctx.actor,
        _reason(before, after),
        ctx.episode_id,
    )
    # Stored entities the new links rest on (new ones are written by the batch itself).
    rests_on = {*new_fact.entities, *(k for r in new_fact.relations for k in (r.source, r.target))}
    rests_on -= {row.key for row in rows}

    def work(tx: ManagedTransaction) -> None:
        _, gone = changes.lock_scope_in(tx, ctx.scope, ctx.episode_id, (), rests_on, [fact_id])
        if gone:
            raise _Stale
        write_episodes_in(tx, [episode])
        changes.update_fact_in(tx, fact_id, text, content_hash(text), new_fact.embedding, metadata)
        former = changes.unlink_fact_in(tx, fact_id)
        apply_batches(tx, [batch])
        changes.delete_orphans_in(tx, former)
        changes.log_in(tx, ctx.scope, [change])

    ctx.store.write(work)
    return {
        "id": fact_id,
        "memory": text,
        "event": "UPDATE",
        "previous_memory": fact["text"],
        "relations": {
            "added": [mem0_triple(*t) for t in sorted(after - before)],
            "removed": [mem0_triple(*t) for t in sorted(before - after)],
        },
    }


class _Stale(Exception):
    """A delete removed, since the links were derived, something they rest on."""


def _extracted(ctx: ingest.WriteContext, llm: LLM, turns: Sequence[Message]) -> drafts.Draft:
    """One extraction call on the new text: one draft with its entities and relations."""
    result = extract(llm, turns, message_time=ctx.at, prompt=ctx.shaping.extraction)
    found = drafts.drafts_from_extraction(result.extraction, {})
    return drafts.Draft(
        text=turns[0].content,
        entities=list(dict.fromkeys(e for d in found for e in d.entities)),
        relations=[r for d in found for r in d.relations],
    )


def _by_extraction(
    ctx: ingest.WriteContext, extracted: drafts.Draft, stored: Mapping[str, Any]
) -> tuple[NewFact, list[NewEntity]]:
    """The extracted entities and relations, resolved by rule against the scope."""
    draft = copy.deepcopy(extracted)  # resolution maps its types in place
    rows, keys = ingest.resolve_entities(ctx, draft)
    key_of = ctx.key_of
    relations = [
        NewRelation(keys[key_of(r.source)], r.type, keys[key_of(r.target)])
        for r in draft.relations
        if key_of(r.source) in keys and key_of(r.target) in keys
    ]
    fact = NewFact(
        text="",
        embedding=[],
        entities=list(dict.fromkeys(keys[key_of(name)] for name, _ in draft.entities)),
        relations=relations,
        valid_from=stored.get("valid_from"),
        valid_to=stored.get("valid_to"),
    )
    return fact, rows


def _by_names(text: str, stored: Mapping[str, Any]) -> NewFact:
    """Without an LLM: the stored links the new text still names (relations: both ends)."""
    named = {e["key"] for e in stored["entities"] if _names(text, e)}
    relations = [
        NewRelation(r["source_key"], r["relation"], r["target_key"])
        for r in stored["relations"]
        if r["source_key"] in named and r["target_key"] in named
    ]
    return NewFact(
        text="",
        embedding=[],
        entities=sorted(named),
        relations=relations,
        valid_from=stored.get("valid_from"),
        valid_to=stored.get("valid_to"),
    )


def _names(text: str, entity: Mapping[str, Any]) -> bool:
    """Does the text name the entity (its name, or for the self any word for the user)?"""
    names = [entity["name"]]
    if entity["key"] == SELF_KEY:
        names += [SELF_NAME, *SELF_ALIASES, *(entity.get("aliases") or [])]
    return any(
        re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        for name in names
        if name and name != SELF_KEY
    )


def _triples(relations: Sequence[Mapping[str, Any]]) -> set[Triple]:
    return {(r["source"], r["relation"], r["target"]) for r in relations}


def _named_triples(
    batch: WriteBatch, stored: Mapping[str, Any], rows: Sequence[NewEntity]
) -> set[Triple]:
    """The batch's relations by entity names (stored names first, then new entities')."""
    names = {e["key"]: e["name"] for e in stored["entities"]}
    names |= {r.key: r.name for r in rows if r.key not in names}
    return {
        (names.get(r.source_key, r.source_key), r.type, names.get(r.target_key, r.target_key))
        for r in batch.relations
    }


def _reason(before: set[Triple], after: set[Triple]) -> str:
    removed = [f"-{_shown(t)}" for t in sorted(before - after)]
    added = [f"+{_shown(t)}" for t in sorted(after - before)]
    return "relations: " + ("; ".join(removed + added) or "unchanged")


def _shown(triple: Triple) -> str:
    return " ".join(triple)
