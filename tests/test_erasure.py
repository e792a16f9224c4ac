"""Erasure with a record (issue 13): `Memory.forget`, `graphmem forget`, POST /v1/erasures.

The proof: after forgetting a user, a scan of every node and relationship in the database
finds none of that user's ids, texts, entity names, episode messages or scope keys, and the
erasure record itself holds none of them either.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from graphmem.cli import cli
from graphmem.config import Settings
from graphmem.memory import Memory
from graphmem.server.auth import KeyRing
from graphmem.server.rest import create_app
from tests import invariants
from tests.cli_runner import cli_env
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import ScriptedLLMServer

ADMIN_KEY = "sk-test-erasure-admin-0001"
USER_KEY = "sk-test-erasure-user-00002"


def extraction(text: str, subject: str, relation: str, target: str) -> dict[str, Any]:
    return {
        "facts": [{"id": 1, "text": text, "entities": [subject, target]}],
        "entities": [{"name": subject, "type": "Person"}, {"name": target, "type": "City"}],
        "relations": [{"source": subject, "type": relation, "target": target, "fact": 1}],
    }


@pytest.fixture
def subject(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> Iterator[dict[str, Any]]:
    """A user with every kind of trace: LLM adds with superseded history (its relation
    retired to WAS), the user's own entity under the name they gave, relations, four scopes
    (the user's own, an agent's, a run's, a restored copy of that run), an edit (with its
    own episode) and a delete in the change log, metadata. Every name and text carries a
    marker no other test uses."""
    tag = uuid.uuid4().hex[:8]
    person, old_city, new_city = f"Quillon{tag}", f"Berlinq{tag}", f"Amsterq{tag}"
    speaker = f"quill{tag}"  # lower case: the self entity keeps it as a key among its aliases
    mem = memory_on_scripted_llm(memory, scripted_llm)
    mate = {
        "facts": [{"id": 1, "text": "User drinks yerba mate", "entities": ["User", "Yerba"]}],
        "entities": [{"name": "User", "type": "Person"}, {"name": "Yerba", "type": "Drink"}],
        "relations": [{"source": "User", "type": "DRINKS", "target": "Yerba", "fact": 1}],
    }
    scripted_llm.script([json.dumps(mate)])
    mem.add(
        [{"role": "user", "name": speaker, "content": "I drink yerba mate."}],
        user_id=user_id,
        timestamp="2024-03-01",
    )
    scripted_llm.script(
        [json.dumps(extraction(f"{person} lives in {old_city}", person, "LIVES_IN", old_city))]
    )
    mem.add(f"I am {person} and I live in {old_city}.", user_id=user_id, metadata={"room": tag})
    moved = extraction(f"{person} moved to {new_city}", person, "LIVES_IN", new_city)
    contradicts = {"entities": [], "facts": [{"id": 1, "event": "CONTRADICTS", "existing": [2]}]}
    scripted_llm.script([json.dumps(moved), json.dumps(contradicts)])
    mem.add(f"I moved from {old_city} to {new_city}.", user_id=user_id)
    memory.add_facts(
        [
            {
                "text": f"{person}'s sister is Carola{tag}.",
                "entities": [person, f"Carola{tag}"],
                "relations": [
                    {"source": person, "relation": "SISTER_OF", "target": f"Carola{tag}"}
                ],
            }
        ],
        user_id=user_id,
        run_id=f"run-{tag}",
    )
    edited = memory.add_facts(
        [f"{person} likes tea {tag}."], user_id=user_id, agent_id=f"bot-{tag}"
    )
    memory.update(
        edited["results"][0]["id"], f"{person} likes oolong {tag}.", user_id=user_id, infer=False
    )
    dropped = memory.add_facts([f"{person} once lived in Oslo {tag}."], user_id=user_id)
    memory.delete(dropped["results"][0]["id"], user_id=user_id)
    copied = memory.export_graph(user_id=user_id, run_id=f"run-{tag}")
    memory.restore(copied, user_id=user_id, run_id=f"copy-{tag}")
    other = f"bystander-{uuid.uuid4().hex[:12]}"
    memory.add_facts([f"Bystander fact {tag}."], user_id=other)
    driver, db = memory.store.driver, memory.store.database
    needles = {user_id, person, old_city, new_city, f"Carola{tag}", f"run-{tag}", f"bot-{tag}"}
    needles |= {speaker, f"copy-{tag}"}
    needles |= {f"lives in {old_city}", "likes tea", "likes oolong", "once lived in Oslo"}
    needles |= _ids_of(driver, db, user_id)
    yield {
        "user_id": user_id,
        "other": other,
        "needles": needles,
        "before": invariants.counts(driver, db, user_ids=[user_id]),
        "changes": _changes_of(driver, db, user_id),
        "other_before": invariants.counts(driver, db, user_ids=[other]),
    }
    memory.reset(user_id=other)


def _changes_of(driver: Any, db: str, user_id: str) -> int:
    """Change-log entries of the user's scopes (they carry the scope key, not the ids)."""
    records, _, _ = driver.execute_query(
        "MATCH (s:Scope {user_id: $u}) MATCH (c:Change {scope_key: s.key}) RETURN count(c) AS n",
        u=user_id,
        database_=db,
    )
    return int(records[0]["n"])


def _ids_of(driver: Any, db: str, user_id: str) -> set[str]:
    """Every id and scope key the user's nodes carry (change entries by their scope keys)."""
    records, _, _ = driver.execute_query(
        "MATCH (s:Scope {user_id: $u}) WITH collect(s.key) AS keys "
        "MATCH (n) WHERE n.user_id = $u OR n.scope_key IN keys "
        "WITH keys, collect(DISTINCT n.id) + collect(DISTINCT n.scope_key) AS ids "
        "RETURN ids + keys AS ids",
        u=user_id,
        database_=db,
    )
    return {i for i in records[0]["ids"] if i}


def traces(driver: Any, db: str, needles: set[str]) -> list[str]:
    """Every property of every node and relationship that holds one of the needles."""
    found = []
    for statement in (
        "MATCH (n) RETURN elementId(n) AS where, labels(n) AS kind, n {.*, embedding: null} AS p",
        "MATCH ()-[r]->() RETURN elementId(r) AS where, type(r) AS kind, properties(r) AS p",
    ):
        records, _, _ = driver.execute_query(statement, database_=db)
        for record in records:
            text = json.dumps(record["p"], default=str, ensure_ascii=False)
            found += [f"{record['kind']} {n!r}" for n in needles if n in text]
    return found


def test_forget_leaves_nothing_of_the_user_and_a_record_without_any_of_it(
    memory: Memory, subject: dict[str, Any]
) -> None:
    driver, db = memory.store.driver, memory.store.database
    user, needles, before = subject["user_id"], subject["needles"], subject["before"]
    # 6 facts added, 1 deleted (its DELETE logged), 1 edited (an episode of its own), 1
    # superseded (its relation retired to WAS), 1 restored into a copy of its run
    assert before["facts"] == 6 and before["episodes"] == 8 and subject["changes"] >= 8
    assert len(traces(driver, db, needles)) > 20  # the scan sees what it looks for
    for added_by_histories in (n for n in needles if n.startswith(("quill", "copy-"))):
        assert traces(driver, db, {added_by_histories}), added_by_histories
    retired = driver.execute_query(
        "MATCH (a:Entity {user_id: $u})-[r:WAS]->() RETURN count(r) AS n", u=user, database_=db
    ).records[0]["n"]
    assert retired == 1

    record = memory.forget(user_id=user, requester="ticket-4711")

    assert traces(driver, db, needles) == []
    assert invariants.counts(driver, db, user_ids=[user]) == dict.fromkeys(before, 0)
    assert invariants.counts(driver, db, user_ids=[subject["other"]]) == subject["other_before"]
    assert invariants.check(driver, db).ok
    # The record: what went, who asked, when; a salted hash of the scope, nothing else of it.
    assert (record["facts"], record["superseded_facts"]) == (before["facts"], 1)
    assert (record["entities"], record["episodes"]) == (before["entities"], before["episodes"])
    assert (record["relations"], record["changes"]) == (before["relations"], subject["changes"])
    assert _changes_of(driver, db, user) == 0
    assert record["scopes"] == 4 and record["scope_fields"] == ["user_id"]
    assert record["requester"] == "ticket-4711"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", record["at"])
    assert not [n for n in needles if n in json.dumps(record, default=str)]
    assert [e["id"] for e in memory.erasures(user_id=user)["results"]] == [record["id"]]
    assert memory.erasures(user_id=subject["other"]) == {"results": []}
    assert record["id"] in {e["id"] for e in memory.erasures()["results"]}


def test_forget_over_rest_is_for_admin_keys(
    memory: Memory, subject: dict[str, Any], settings: Settings
) -> None:
    user = subject["user_id"]
    keys = KeyRing.from_mapping({ADMIN_KEY: "*", USER_KEY: {"user_id": user}})
    client = TestClient(create_app(memory, keys))
    refused = client.post(
        "/v1/erasures", json={"user_id": user}, headers={"Authorization": f"Bearer {USER_KEY}"}
    )
    assert refused.status_code == 403 and "admin key" in refused.json()["detail"]
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    erased = client.post("/v1/erasures", json={"user_id": user}, headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json()["requester"] == "api:key#1"
    assert erased.json()["facts"] == subject["before"]["facts"]
    listed = client.get("/v1/erasures", params={"user_id": user}, headers=admin)
    assert [e["id"] for e in listed.json()["results"]] == [erased.json()["id"]]
    assert traces(memory.store.driver, memory.store.database, subject["needles"]) == []


def test_forget_and_erasures_on_the_command_line(
    memory: Memory, subject: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    env = cli_env(settings, tmp_path)
    user = subject["user_id"]
    runner = CliRunner()
    declined = runner.invoke(cli, ["forget", "--user", user], env=env, input="n\n")
    assert declined.exit_code == 1  # aborted: nothing erased
    assert (
        invariants.counts(memory.store.driver, memory.store.database, user_ids=[user])
        == (subject["before"])
    )
    erased = runner.invoke(cli, ["forget", "--user", user, "--yes", "--json"], env=env)
    assert erased.exit_code == 0, erased.output
    record = json.loads(erased.stdout)
    assert record["requester"] == "cli" and record["facts"] == subject["before"]["facts"]
    listed = runner.invoke(cli, ["erasures", "--user", user, "--json"], env=env)
    assert [e["id"] for e in json.loads(listed.stdout)["results"]] == [record["id"]]
    table = runner.invoke(cli, ["erasures", "--user", user], env=env)
    assert record["id"] in table.stdout and user not in table.stdout
    nobody = runner.invoke(cli, ["erasures", "--user", f"{user}-never"], env=env)
    assert "no erasures recorded for that scope" in nobody.stderr
