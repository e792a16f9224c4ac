"""Faults: Neo4j stopped in the middle of a stream of adds, and an LLM that is down, slow or
answering 500.

The Neo4j test runs its own server (graphmem.neo4j_server on free ports, in a temp home), so
stopping it disturbs nobody. Writers keep adding while it stops and starts again. Afterwards:
every add either returned (the driver retried it across the outage) or raised a StoreError
saying what to do; nothing is half-written (tests/invariants.py over the whole database);
no add that returned lost a fact; every Episode kept without facts is re-extracted.

`run_fault_stream` is also what bench/stress.py runs for its fault figures.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from graphmem import neo4j_server as launcher
from graphmem.config import Settings
from graphmem.embed import Embedder
from graphmem.errors import GraphMemError, LLMError, StoreError
from graphmem.memory import Memory
from tests import invariants
from tests.neo4j_session import SESSION_PASSWORD, free_ports
from tests.scripted_llm import Delayed, ScriptedError, ScriptedLLMServer
from tests.test_concurrency_async import extraction_for, responder, turn_text

FAULT_USER = "fault-stream"


# ---- the Neo4j restart --------------------------------------------------------------------


@dataclass
class Dedicated:
    """A Neo4j of our own, to stop and start."""

    home: Path
    bolt_port: int
    http_port: int
    password: str = SESSION_PASSWORD

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def start(self) -> None:
        launcher.start(
            self.home,
            bolt_port=self.bolt_port,
            http_port=self.http_port,
            password=self.password,
            heap="384m",
            pagecache="64m",
            prefer_docker=False,
        )

    def stop(self) -> None:
        launcher.stop(self.home)


@dataclass
class Outcome:
    """One add of the stream: what it sent and what came back."""

    writer: str
    text: str
    result: dict[str, Any] | None = None
    error: BaseException | None = None


@dataclass
class FaultReport:
    """What a fault stream did, in the figures bench/stress.py prints."""

    attempted: int = 0
    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)  # texts of adds that returned, missing
    half_written: list[str] = field(default_factory=list)  # failed adds with some facts
    reextracted: int = 0
    duplicates: int = 0  # texts stored more than once
    unclear_errors: list[str] = field(default_factory=list)
    invariants: invariants.Report | None = None


def run_fault_stream(
    memory: Memory,
    server: Dedicated,
    *,
    adds_per_writer: int = 24,
    stop_after: int = 6,
    downtime_s: float = 1.0,
    user_id: str = FAULT_USER,
    log: Callable[[str], None] = lambda _: None,
) -> FaultReport:
    """Two writers (add_facts, add with inference) add while the server stops and starts.

    `memory` must be on `server` and on an LLM answering with tests'
    test_concurrency_async.responder. Returns the figures; checks nothing itself.
    """
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def writer(name: str, add: Callable[[str], dict[str, Any]], base: int) -> None:
        for note in range(adds_per_writer):
            outcome = Outcome(name, turn_text(base, note))
            try:
                outcome.result = add(outcome.text)
            except Exception as exc:  # every failure is recorded and judged below
                outcome.error = exc
            with lock:
                outcomes.append(outcome)
            done.release()

    writers = [
        threading.Thread(
            target=writer,
            args=("add_facts", lambda t: memory.add_facts([_fact(t)], user_id=user_id), 100),
        ),
        threading.Thread(
            target=writer, args=("add", lambda t: memory.add(t, user_id=user_id), 200)
        ),
    ]
    for thread in writers:
        thread.start()
    for _ in range(stop_after):
        done.acquire(timeout=300)
    log("stopping Neo4j mid-stream")
    server.stop()
    # Plain downtime, connections refused. Past the driver's 30 s retry window, adds fail.
    time.sleep(downtime_s)
    log("starting Neo4j again")
    server.start()
    for thread in writers:
        thread.join(timeout=900)
    return _judge(memory, outcomes, user_id)


def _fact(text: str) -> dict[str, Any]:
    """The add_facts form of a turn: the same fact, entities and relations extraction gives."""
    extracted = extraction_for(text)
    return {
        "text": extracted["facts"][0]["text"],
        "entities": extracted["entities"],
        "relations": [
            {"source": r["source"], "relation": r["type"], "target": r["target"]}
            for r in extracted["relations"]
        ],
    }


def _judge(memory: Memory, outcomes: list[Outcome], user_id: str) -> FaultReport:
    report = FaultReport(attempted=len(outcomes))
    for outcome in outcomes:
        if outcome.error is None:
            report.completed += 1
            continue
        report.failed[f"{outcome.writer}: {type(outcome.error).__name__}"] += 1
        if not _clear(outcome.error):
            report.unclear_errors.append(f"{type(outcome.error).__name__}: {outcome.error}")
    report.reextracted = _reextract_kept_episodes(memory, user_id)
    stored = _fact_counts(memory, user_id)
    for outcome in outcomes:
        copies = stored.get(outcome.text, 0)
        if outcome.error is None and copies == 0:
            report.lost.append(outcome.text)
        report.duplicates += max(0, copies - 1)
    report.half_written = _facts_without_relations(memory, user_id)
    report.invariants = invariants.check(memory.store.driver, memory.store.database)
    return report


def _clear(error: BaseException) -> bool:
    """A graphmem error whose message says what happened (and, for Neo4j, what to do)."""
    if not isinstance(error, GraphMemError):
        return False
    return not isinstance(error, StoreError) or "Neo4j" in str(error)


def _reextract_kept_episodes(memory: Memory, user_id: str) -> int:
    """Re-run extraction for every Episode of the scope that no fact came from."""
    records = memory.store.read(
        "MATCH (ep:Episode {user_id: $u}) WHERE NOT EXISTS { (:Fact)-[:FROM]->(ep) } "
        "RETURN ep.id AS id",
        {"u": user_id},
    )
    for record in records:
        memory.reextract(record["id"])
    return len(records)


def _fact_counts(memory: Memory, user_id: str) -> dict[str, int]:
    records = memory.store.read(
        "MATCH (f:Fact {user_id: $u}) RETURN f.text AS text, count(*) AS n", {"u": user_id}
    )
    return {r["text"]: r["n"] for r in records}


def _facts_without_relations(memory: Memory, user_id: str) -> list[str]:
    """Facts missing any of the two relations and three ABOUT links every turn makes."""
    records = memory.store.read(
        "MATCH (f:Fact {user_id: $u}) "
        "WITH f, COUNT { (f)-[:ABOUT]->() } AS about, "
        "COUNT { ()-[r]->() WHERE r.fact_id = f.id } AS relations "
        "WHERE about <> 3 OR relations <> 2 RETURN f.text AS text",
        {"u": user_id},
    )
    return [r["text"] for r in records]


@pytest.fixture(scope="module")
def dedicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dedicated]:
    server = Dedicated(tmp_path_factory.mktemp("neo4j-faults"), *free_ports(2))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_neo4j_restart_mid_stream_loses_nothing_and_half_writes_nothing(
    dedicated: Dedicated,
    settings: Settings,
    embedder: Embedder,
    scripted_llm: ScriptedLLMServer,
) -> None:
    scripted_llm.responder = responder
    overrides = {
        "neo4j_uri": dedicated.uri,
        "neo4j_password": SecretStr(dedicated.password),
        "llm_base_url": scripted_llm.url,
    }
    with Memory(settings.model_copy(update=overrides), embedder=embedder) as memory:
        # 60 s down: the driver retries a transaction for 30 s with jittered exponential
        # backoff, so its last attempt can land ~38 s after the first failure; a shorter outage
        # is sometimes ridden out entirely and the test would not see the failures it checks.
        report = run_fault_stream(
            memory, dedicated, adds_per_writer=16, stop_after=4, downtime_s=60
        )
        print(f"\nfault stream: {report}")
        assert report.attempted == 32
        assert sum(report.failed.values()) > 0  # the outage was felt
        assert all("StoreError" in why for why in report.failed)
        assert report.unclear_errors == []
        assert report.lost == []
        assert report.half_written == []
        assert report.duplicates == 0
        assert report.invariants is not None and report.invariants.ok, report.invariants
        # every add is now stored exactly once: returned, re-extracted, or re-sent
        for text, copies in _fact_counts(memory, FAULT_USER).items():
            assert copies == 1, text
        assert memory.search("Who met whom?", user_id=FAULT_USER)["results"]


# ---- the LLM down, slow, or failing ------------------------------------------------------


def llm_memory(memory: Memory, base_url: str, *, retries: int, timeout_s: float) -> Memory:
    """A Memory sharing the session's store and embedder, on the given Ollama URL."""
    update = {"llm_base_url": base_url, "llm_max_retries": retries, "llm_timeout_s": timeout_s}
    return Memory(
        memory.settings.model_copy(update=update), store=memory.store, embedder=memory.embedder
    )


def episode(memory: Memory, episode_id: str) -> dict[str, Any]:
    records = memory.store.read(
        "MATCH (ep:Episode {id: $id}) RETURN ep {.*} AS ep, "
        "COUNT { (:Fact)-[:FROM]->(ep) } AS facts",
        {"id": episode_id},
    )
    assert records, f"episode {episode_id} was not kept"
    return {**records[0]["ep"], "facts": records[0]["facts"]}


def assert_kept_and_recoverable(
    memory: Memory, error: LLMError, user_id: str, scripted_llm: ScriptedLLMServer
) -> None:
    """The episode is kept (failed, no facts), then re-extraction on a working LLM stores it."""
    assert error.episode_id and error.episode_id in str(error)
    kept = episode(memory, error.episode_id)
    assert (kept["status"], kept["facts"]) == ("failed", 0)
    assert json.loads(kept["messages"])[0]["content"] == turn_text(7, 1)
    assert memory.get_all(user_id=user_id)["results"] == []
    scripted_llm.reset()
    scripted_llm.responder = responder
    healthy = llm_memory(memory, scripted_llm.url, retries=0, timeout_s=30)
    result = healthy.reextract(error.episode_id)
    assert [r["memory"] for r in result["results"]] == [turn_text(7, 1)]
    assert episode(memory, error.episode_id)["facts"] == 1


def test_llm_down_is_a_clear_error_and_the_episode_is_kept(
    memory: Memory, user_id: str, scripted_llm: ScriptedLLMServer
) -> None:
    (port,) = free_ports(1)  # nothing listens there
    down = llm_memory(memory, f"http://127.0.0.1:{port}", retries=1, timeout_s=2)
    with pytest.raises(LLMError, match=f"127.0.0.1:{port}") as caught:
        down.add(turn_text(7, 1), user_id=user_id)
    assert "gave up after 2 attempts" in str(caught.value)
    assert_kept_and_recoverable(memory, caught.value, user_id, scripted_llm)


def test_slow_llm_times_out_boundedly(
    memory: Memory, user_id: str, scripted_llm: ScriptedLLMServer
) -> None:
    answer = json.dumps(extraction_for(turn_text(7, 1)))
    scripted_llm.script([Delayed(answer, 3.0), Delayed(answer, 3.0), answer])
    slow = llm_memory(memory, scripted_llm.url, retries=1, timeout_s=0.5)
    with pytest.raises(LLMError, match=r"did not answer within 0\.5s") as caught:
        slow.add(turn_text(7, 1), user_id=user_id)
    assert len(scripted_llm.chat_requests) == 2  # one try and one retry, then a clear error
    assert scripted_llm.remaining == 1
    assert_kept_and_recoverable(memory, caught.value, user_id, scripted_llm)


def test_llm_answering_500_gives_up_after_the_retries(
    memory: Memory, user_id: str, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script([ScriptedError(500, "model crashed")] * 4)
    failing = llm_memory(memory, scripted_llm.url, retries=2, timeout_s=5)
    with pytest.raises(LLMError, match="gave up after 3 attempts") as caught:
        failing.add(turn_text(7, 1), user_id=user_id)
    assert len(scripted_llm.chat_requests) == 3
    assert "500" in str(caught.value)
    assert_kept_and_recoverable(memory, caught.value, user_id, scripted_llm)


def test_llm_500_then_success_completes_the_add(
    memory: Memory, user_id: str, scripted_llm: ScriptedLLMServer
) -> None:
    answer = json.dumps(extraction_for(turn_text(7, 2)))
    scripted_llm.script([ScriptedError(500), ScriptedError(503), answer])
    flaky = llm_memory(memory, scripted_llm.url, retries=2, timeout_s=5)
    result = flaky.add(turn_text(7, 2), user_id=user_id)
    assert [r["event"] for r in result["results"]] == ["ADD"]
    assert len(scripted_llm.chat_requests) == 3
    kept = episode(memory, result["episode_id"])
    assert (kept["status"], kept["facts"]) == ("extracted", 1)
