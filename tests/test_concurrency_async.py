"""Concurrent writers in one scope, beyond threads over add_facts (tests/test_concurrency.py):
AsyncMemory tasks, and add(infer=True) through the scripted LLM from threads and tasks.

Eight writers mention the same four people and three cities at once. The uniqueness
constraint on (scope_key, key) must leave one node per name; every fact and relation must
land; the invariant checker (tests/invariants.py) must find nothing half-written.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from graphmem.async_memory import AsyncMemory
from graphmem.memory import Memory
from tests import invariants
from tests.fixtures.conversations.responder import memory_on_scripted_llm, resolution
from tests.scripted_llm import RecordedRequest, ScriptedLLMServer
from tests.test_concurrency import CITIES, PEOPLE, _facts_for

WRITERS = 8
NOTES = 6
TURN = re.compile(r"Writer (\d+) note (\d+): (\w+) met (\w+) in (\w+)\.")


def turn_text(writer: int, note: int) -> str:
    """The message writer `writer` sends as its note `note` (the same people as _facts_for)."""
    person, friend = PEOPLE[(writer + note) % 4], PEOPLE[(writer + note + 1) % 4]
    city = CITIES[(writer * note) % 3]
    return f"Writer {writer} note {note}: {person} met {friend} in {city}."


def extraction_for(text: str) -> dict[str, Any]:
    """What a good model extracts from one turn_text: one fact, three entities, two relations."""
    match = TURN.search(text)
    assert match, f"unexpected turn: {text!r}"
    person, friend, city = match.group(3), match.group(4), match.group(5)
    return {
        "facts": [{"id": 1, "text": match.group(0), "entities": [person, friend, city]}],
        "entities": [
            {"name": person, "type": "Person"},
            {"name": friend, "type": "Person"},
            {"name": city, "type": "City"},
        ],
        "relations": [
            {"source": person, "type": "MET", "target": friend, "fact": 1},
            {"source": person, "type": "VISITED", "target": city, "fact": 1},
        ],
    }


def responder(request: RecordedRequest) -> str:
    """Stateless (safe from many server threads): extraction by regex; every resolution
    question answered conservatively (a new entity, an added fact)."""
    system = request.messages[0]["content"] if request.messages else ""
    last = request.messages[-1]["content"]
    if system.startswith("You extract"):
        return json.dumps(extraction_for(last))
    if system.startswith("You keep"):
        return json.dumps(resolution({}, json.loads(last)))
    raise AssertionError(f"unexpected prompt: {system[:80]!r}")


@pytest.fixture
def llm_memory(memory: Memory, scripted_llm: ScriptedLLMServer) -> Iterator[Memory]:
    scripted_llm.responder = responder
    yield memory_on_scripted_llm(memory, scripted_llm)


def assert_one_scope_graph(memory: Memory, user_id: str, facts: int) -> None:
    """Exactly one entity per name, every fact and relation present, invariants intact."""
    driver, db = memory.store.driver, memory.store.database
    records, _, _ = driver.execute_query(
        "MATCH (e:Entity {user_id: $u}) RETURN e.key AS key, count(*) AS n", u=user_id, database_=db
    )
    assert {r["key"]: r["n"] for r in records} == {n.lower(): 1 for n in PEOPLE + CITIES}
    report = invariants.check(driver, db, user_ids=[user_id])
    assert report.ok, report.describe()
    assert report.counts["facts"] == facts
    assert report.counts["relations"] == 2 * facts
    scopes, _, _ = driver.execute_query(
        "MATCH (s:Scope {user_id: $u}) RETURN count(s) AS n", u=user_id, database_=db
    )
    assert scopes[0]["n"] == 1


def test_eight_async_tasks_add_facts_one_scope(memory: Memory, user_id: str) -> None:
    async def run() -> list[dict[str, Any]]:
        amem = AsyncMemory(memory=memory)
        writes = [amem.add_facts(_facts_for(w), user_id=user_id) for w in range(WRITERS)]
        return await asyncio.gather(*writes)

    results = asyncio.run(run())
    assert sum(len(r["results"]) for r in results) == WRITERS * NOTES
    assert_one_scope_graph(memory, user_id, WRITERS * NOTES)


def _add_turns(mem: Memory, user_id: str, writer: int) -> list[dict[str, Any]]:
    return [mem.add(turn_text(writer, n), user_id=user_id) for n in range(NOTES)]


def test_eight_threads_add_with_inference_one_scope(
    llm_memory: Memory, user_id: str, scripted_llm: ScriptedLLMServer
) -> None:
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        per_writer = list(pool.map(lambda w: _add_turns(llm_memory, user_id, w), range(WRITERS)))
    events = [e["event"] for adds in per_writer for add in adds for e in add["results"]]
    assert events == ["ADD"] * WRITERS * NOTES
    extraction_calls = [
        r for r in scripted_llm.chat_requests if r.messages[0]["content"].startswith("You extract")
    ]
    assert len(extraction_calls) == WRITERS * NOTES  # one extraction per add, none retried
    assert_one_scope_graph(llm_memory, user_id, WRITERS * NOTES)


def test_eight_async_tasks_add_with_inference_one_scope(llm_memory: Memory, user_id: str) -> None:
    async def writer(amem: AsyncMemory, w: int) -> list[dict[str, Any]]:
        return [await amem.add(turn_text(w, n), user_id=user_id) for n in range(NOTES)]

    async def run() -> list[list[dict[str, Any]]]:
        amem = AsyncMemory(memory=llm_memory)
        return await asyncio.gather(*(writer(amem, w) for w in range(WRITERS)))

    per_writer = asyncio.run(run())
    assert sum(len(add["results"]) for adds in per_writer for add in adds) == WRITERS * NOTES
    assert_one_scope_graph(llm_memory, user_id, WRITERS * NOTES)


def test_one_fact_sent_by_eight_writers_at_once_is_one_fact(
    llm_memory: Memory, user_id: str
) -> None:
    """The same sentence from eight concurrent adds: one entity per name, and (content-hash
    idempotency) the sentence is stored once, the other adds answering NONE."""
    text = turn_text(0, 0)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(pool.map(lambda _: llm_memory.add(text, user_id=user_id), range(WRITERS)))
    events = sorted(e["event"] for r in results for e in r["results"])
    driver, db = llm_memory.store.driver, llm_memory.store.database
    records, _, _ = driver.execute_query(
        "MATCH (f:Fact {user_id: $u, status: 'active'}) RETURN count(f) AS n",
        u=user_id,
        database_=db,
    )
    report = invariants.check(driver, db, user_ids=[user_id])
    assert report.ok, report.describe()
    assert report.counts["entities"] == 3
    assert (records[0]["n"], events) == (1, ["ADD"] + ["NONE"] * (WRITERS - 1))
