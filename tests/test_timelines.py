"""Entity histories people can trust (issue 12), on the real Neo4j with the LLM scripted at
the HTTP boundary: valid time vs record time, the user's own entity, update(), and what
Neo4j Browser can be made to show.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graphmem.config import Settings
from graphmem.memory import Memory
from graphmem.resources import resource_dir
from graphmem.server.rest import create_app
from tests.cli_runner import cli_env, run
from tests.fact_llm import Fact, FactsLLM
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import ScriptedLLMServer

WORK = {
    "I started at Tyrell": Fact(
        "Grace works at Tyrell",
        [("Grace", "Person"), ("Tyrell", "Organization")],
        [("Grace", "WORKS_AT", "Tyrell")],
    ),
    "I started at Umbrella": Fact(
        "Grace works at Umbrella",
        [("Grace", "Person"), ("Umbrella", "Organization")],
        [("Grace", "WORKS_AT", "Umbrella")],
    ),
}
JOBS = {frozenset({"Grace works at Tyrell", "Grace works at Umbrella"})}
HOMES = {
    "I live in Berlin": Fact(
        "User lives in Berlin",
        [("User", "Person"), ("Berlin", "City")],
        [("User", "LIVES_IN", "Berlin")],
    ),
    "I moved from Berlin to Amsterdam last spring": Fact(
        "User moved to Amsterdam",
        [("User", "Person"), ("Amsterdam", "City")],
        [("User", "LIVES_IN", "Amsterdam")],
        valid_from="2024-04-01",
    ),
    "I live in Lisbon": Fact(
        "User lives in Lisbon",
        [("User", "Person"), ("Lisbon", "City")],
        [("User", "LIVES_IN", "Lisbon")],
    ),
    "Priya's brother is Ravi": Fact(
        "Priya's brother is Ravi",
        [("Priya", "Person"), ("Ravi", "Person")],
        [("Ravi", "BROTHER_OF", "Priya")],
    ),
    "Bob lives in Hamburg": Fact(
        "Bob lives in Hamburg.",
        [("Bob", "Person"), ("Hamburg", "City")],
        [("Bob", "LIVES_IN", "Hamburg")],
    ),
}
MOVE = {frozenset({"User lives in Berlin", "User moved to Amsterdam"})}


@pytest.fixture
def llm_memory(memory: Memory, scripted_llm: ScriptedLLMServer) -> Iterator[Memory]:
    yield memory_on_scripted_llm(memory, scripted_llm)


def facts_llm(server: ScriptedLLMServer, table: dict[str, Fact], pairs: set[Any]) -> FactsLLM:
    llm = FactsLLM(table, pairs)
    server.responder = llm
    return llm


def triples(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(r["source"], r["relation"], r["target"]) for r in rows}


def assert_no_end_before_start(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row.get("valid_from") and row.get("valid_to"):
            assert row["valid_from"] <= row["valid_to"], row


# ---- 1. when it happened vs when it was recorded ------------------------------------


def test_a_fact_dated_before_a_stored_one_goes_to_history(
    llm_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    llm = facts_llm(scripted_llm, WORK, JOBS)
    tyrell = llm_memory.add("I started at Tyrell.", user_id=user_id, timestamp="2024-12-24")
    # Imported afterwards, but said eleven months earlier: history, not the current job.
    umbrella = llm_memory.add("I started at Umbrella.", user_id=user_id, timestamp="2024-01-09")
    tyrell_id, umbrella_row = tyrell["results"][0]["id"], umbrella["results"][0]
    assert umbrella_row["event"] == "ADD" and umbrella_row["superseded_by"] == tyrell_id

    # The resolution call saw the dates of both facts.
    asked = llm.resolutions[-1]["new_facts"][0]
    assert asked["valid_from"] == "2024-01-09"
    assert asked["existing_facts"][0]["valid_from"] == "2024-12-24"

    current = llm_memory.get(tyrell_id)
    old = llm_memory.get(umbrella_row["id"])
    assert current is not None and old is not None
    assert current["status"] == "active" and current["valid_to"] is None
    assert old["status"] == "superseded"
    assert (old["valid_from"], old["valid_to"]) == ("2024-01-09T00:00:00Z", "2024-12-24T00:00:00Z")
    now = llm_memory.relations(user_id=user_id, entity="Grace")["results"]
    assert triples(now) == {("Grace", "WORKS_AT", "Tyrell")}

    timeline = llm_memory.entity_history("Grace", user_id=user_id)
    assert timeline is not None
    assert [(r["target"], r["state"]) for r in timeline["relations"]] == [
        ("Umbrella", "ended"),
        ("Tyrell", "current"),
    ]
    assert_no_end_before_start(timeline["relations"] + timeline["facts"])
    then = llm_memory.search("Where does Grace work?", user_id=user_id, as_of="2024-06-01")
    assert [r["memory"] for r in then["results"]] == ["Grace works at Umbrella"]


def test_a_newer_statement_of_an_older_move_replaces_and_never_ends_before_it_began(
    llm_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    facts_llm(scripted_llm, HOMES, MOVE)
    berlin = llm_memory.add("I live in Berlin.", user_id=user_id, timestamp="2024-06-03")
    moved = llm_memory.add(
        "I moved from Berlin to Amsterdam last spring.", user_id=user_id, timestamp="2024-09-01"
    )
    assert [r["event"] for r in moved["results"]] == ["ADD", "DELETE"]
    assert moved["results"][1]["id"] == berlin["results"][0]["id"]
    old = llm_memory.get(berlin["results"][0]["id"])
    assert old is not None and old["status"] == "superseded"
    # Said on 2024-06-03, so it held then: closed no earlier than that, not at the move.
    assert old["valid_from"] == old["valid_to"] == "2024-06-03T00:00:00Z"
    timeline = llm_memory.entity_history("me", user_id=user_id)
    assert timeline is not None
    assert_no_end_before_start(timeline["relations"] + timeline["facts"])
    assert [r["target"] for r in timeline["relations"] if r["state"] == "current"] == ["Amsterdam"]


def test_facts_are_valid_from_when_they_were_said(memory: Memory, user_id: str) -> None:
    said = [
        {"role": "user", "content": "Dana keeps bees.", "timestamp": "2023-05-01T10:00:00Z"},
        {"role": "user", "content": "Dana moved to Ghent.", "timestamp": "2023-07-02T08:30:00Z"},
    ]
    added = memory.add(said, user_id=user_id, infer=False)["results"]
    stamps = [memory.get(r["id"])["valid_from"] for r in added]  # type: ignore[index]
    assert stamps == ["2023-05-01T10:00:00Z", "2023-07-02T08:30:00Z"]
    later = memory.add("Dana sings.", user_id=user_id, infer=False, timestamp="2022-01-31")
    item = memory.get(later["results"][0]["id"])
    assert item is not None and item["valid_from"] == "2022-01-31T00:00:00Z"
    assert item["created_at"] > "2025"  # recorded now; valid since the message's time
    # Over before it was said: its start is unknown, not "now" (an end before a start).
    ended = memory.add_facts(
        [{"text": "Dana lived in Liege.", "valid_to": "2020-01-01"}], user_id=user_id
    )
    old = memory.get(ended["results"][0]["id"])
    assert old is not None and (old["valid_from"], old["valid_to"]) == (
        None,
        "2020-01-01T00:00:00Z",
    )


# ---- 2. the user's own entity -----------------------------------------------------------


def test_the_user_id_and_the_users_name_are_the_self(
    llm_memory: Memory, scripted_llm: ScriptedLLMServer
) -> None:
    """The README's snippet: user_id "alice", then "Alice's sister is Carol."."""
    facts_llm(scripted_llm, HOMES, MOVE)
    scope = {"user_id": "alice", "run_id": f"readme-{uuid.uuid4().hex[:8]}"}
    try:
        llm_memory.add("I moved from Berlin to Amsterdam last spring.", **scope)
        llm_memory.add_facts(
            [
                {
                    "text": "Alice's sister is Carol.",
                    "entities": [{"name": "Alice", "type": "Person"}, "Carol"],
                    "relations": [{"source": "Alice", "relation": "SISTER_OF", "target": "Carol"}],
                }
            ],
            **scope,
        )
        people = [e["name"] for e in llm_memory.entities(**scope)["results"]]
        assert sorted(people) == ["Amsterdam", "Carol", "alice"]
        for name in ("Alice", "alice", "me", "I", "User"):
            timeline = llm_memory.entity_history(name, **scope)
            assert timeline is not None, name
            assert {r["target"] for r in timeline["relations"]} == {"Amsterdam", "Carol"}, name
        around = llm_memory.relations(entity="alice", **scope)["results"]
        assert triples(around) == {
            ("alice", "LIVES_IN", "Amsterdam"),
            ("alice", "SISTER_OF", "Carol"),
        }
    finally:
        llm_memory.reset(**scope)


def test_the_name_a_user_message_carries_names_the_self_in_cli_api_and_rest(
    llm_memory: Memory,
    scripted_llm: ScriptedLLMServer,
    user_id: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    facts_llm(scripted_llm, HOMES, set())
    llm_memory.add(
        [{"role": "user", "name": "Priya", "content": "I live in Lisbon."}], user_id=user_id
    )
    # No name on this message: the stored alias claims "Priya".
    llm_memory.add("Priya's brother is Ravi.", user_id=user_id)
    names = sorted(e["name"] for e in llm_memory.entities(user_id=user_id)["results"])
    assert names == ["Lisbon", "Priya", "Ravi"]
    timeline = llm_memory.entity_history("Priya", user_id=user_id)
    assert timeline is not None and timeline["entity"]["key"] == "__self__"
    assert {r["target"] for r in timeline["relations"]} == {"Lisbon", "Priya"}
    assert "embedding" not in timeline["entity"] and "scope_key" not in timeline["entity"]

    env = cli_env(settings, tmp_path)
    for name in ("me", user_id, "Priya", "User"):
        shown = run(env, "history", name, "--user", user_id)
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.splitlines()[0] == "Priya (Person)"
        assert "LIVES_IN -> " in shown.stdout and "Lisbon" in shown.stdout
    listed = json.loads(
        run(env, "relations", "--user", user_id, "--entity", user_id, "--json").stdout
    )
    assert triples(listed["results"]) == {
        ("Priya", "LIVES_IN", "Lisbon"),
        ("Ravi", "BROTHER_OF", "Priya"),
    }
    client = TestClient(create_app(llm_memory, None))
    for name in ("me", user_id, "Priya"):
        answer = client.get(f"/v1/entities/{name}/history", params={"user_id": user_id})
        assert answer.status_code == 200, answer.text
        assert answer.json()["entity"]["name"] == "Priya"


# ---- 3. update() -----------------------------------------------------------------------


BOB_MUNICH = {
    "text": "Bob lives in Munich.",
    "entities": [{"name": "Bob", "type": "Person"}, {"name": "Munich", "type": "City"}],
    "relations": [{"source": "Bob", "relation": "LIVES_IN", "target": "Munich"}],
}


def test_update_without_an_llm_keeps_only_the_relations_the_text_still_names(
    memory: Memory, user_id: str, settings: Settings, tmp_path: Path
) -> None:
    fact_id = memory.add_facts([BOB_MUNICH], user_id=user_id)["results"][0]["id"]
    env = cli_env(settings, tmp_path)
    same = run(env, "update", fact_id, "Bob lives in Munich.", "--user", user_id, "--no-infer")
    assert same.exit_code == 0 and same.stdout.startswith("NONE"), same.output
    assert [h["event"] for h in memory.history(fact_id)] == ["ADD"]

    updated = run(env, "update", fact_id, "Bob lives in Hamburg.", "--user", user_id, "--no-infer")
    assert updated.exit_code == 0 and updated.stdout.startswith("UPDATE"), updated.output
    around = json.loads(
        run(env, "relations", "--user", user_id, "--entity", "Bob", "--json").stdout
    )
    assert around["results"] == []  # LIVES_IN Munich is gone, not kept under the new text
    names = {e["name"] for e in memory.entities(user_id=user_id)["results"]}
    assert names == {"Bob"}  # Munich was only there for this fact
    log = json.loads(run(env, "log", fact_id, "--user", user_id, "--json").stdout)
    assert [e["event"] for e in log] == ["ADD", "UPDATE"]
    assert log[1]["reason"] == "relations: -Bob LIVES_IN Munich"
    assert log[1]["old_memory"] == "Bob lives in Munich." and log[1]["created_at"].endswith("Z")


def test_update_with_an_llm_derives_the_new_relations(
    llm_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    fact_id = llm_memory.add_facts([BOB_MUNICH], user_id=user_id)["results"][0]["id"]
    facts_llm(scripted_llm, HOMES, set())
    result = llm_memory.update(fact_id, "Bob lives in Hamburg.", user_id=user_id)
    assert result["event"] == "UPDATE"
    shown = {
        k: [(r["source"], r["relationship"], r["destination"]) for r in v]
        for k, v in result["relations"].items()
    }
    assert shown == {
        "added": [("Bob", "LIVES_IN", "Hamburg")],
        "removed": [("Bob", "LIVES_IN", "Munich")],
    }
    around = llm_memory.relations(user_id=user_id, entity="Bob")["results"]
    assert [(r["target"], r["fact"]) for r in around] == [("Hamburg", "Bob lives in Hamburg.")]
    assert len(scripted_llm.chat_requests) == 1  # one extraction call, no resolution
    item = llm_memory.get(fact_id)
    assert item is not None and sorted(item["entities"]) == ["Bob", "Hamburg"]


# ---- 4. Browser ------------------------------------------------------------------------


def test_browser_cannot_connect_a_retired_relation_as_a_current_one(
    llm_memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    facts_llm(scripted_llm, HOMES, MOVE)
    llm_memory.add("I live in Berlin.", user_id=user_id, timestamp="2024-06-03")
    llm_memory.add("I moved from Berlin to Amsterdam last spring.", user_id=user_id)
    saved = (resource_dir("cypher") / "browser" / "user_graph.cypher").read_text()
    shown = llm_memory.store.read(saved, {"user_id": user_id})
    ids = [r["e"].element_id for r in shown]
    # What Browser's "connect result nodes" runs over the nodes a query returned.
    connected = llm_memory.store.read(
        "MATCH (a)-[r]->(b) WHERE elementId(a) IN $ids AND elementId(b) IN $ids "
        "RETURN type(r) AS type, r.relation AS relation, r.invalidated_at AS retired, "
        "b.name AS target",
        {"ids": ids},
    )
    drawn = {(r["type"], r["target"], r["retired"] is None) for r in connected}
    assert ("LIVES_IN", "Amsterdam", True) in drawn
    assert ("WAS", "Berlin", False) in drawn
    assert all(current for kind, _, current in drawn if kind != "WAS")
    style = (resource_dir("cypher") / "browser" / "graphmem.grass").read_text()
    assert "relationship.WAS {" in style and 'caption: "was {relation}"' in style


def test_browser_command_says_how_to_log_in_and_what_to_run(
    settings: Settings, tmp_path: Path
) -> None:
    shown = run(cli_env(settings, tmp_path), "browser", "--user", "alice")
    assert shown.exit_code == 0, shown.output
    assert "connect to bolt://" in shown.stdout and "as neo4j" in shown.stdout
    assert "password: the GRAPHMEM_NEO4J_PASSWORD environment variable" in shown.stdout
    assert ":param user_id => 'alice'" in shown.stdout
    assert "MATCH (e:Entity {user_id: $user_id})" in shown.stdout
