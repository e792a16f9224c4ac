"""Concurrent writers in one scope: constraints, not luck, keep entities unique."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from graphmem.memory import Memory
from tests import invariants

PEOPLE = ["Alice", "Bob", "Carol", "Dave"]
CITIES = ["Amsterdam", "Berlin", "Utrecht"]


def _facts_for(writer: int) -> list[dict]:
    facts = []
    for i in range(6):
        person, friend = PEOPLE[(writer + i) % 4], PEOPLE[(writer + i + 1) % 4]
        city = CITIES[(writer * i) % 3]
        facts.append(
            {
                "text": f"Writer {writer} note {i}: {person} met {friend} in {city}.",
                "entities": [
                    {"name": person, "type": "Person"},
                    {"name": friend, "type": "Person"},
                    {"name": city, "type": "City"},
                ],
                "relations": [
                    {"source": person, "relation": "MET", "target": friend},
                    {"source": person, "relation": "VISITED", "target": city},
                ],
            }
        )
    return facts


def test_eight_writers_one_scope_no_twins_no_lost_facts(memory: Memory, user_id: str) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda w: memory.add_facts(_facts_for(w), user_id=user_id), range(8))
        )
    assert sum(len(r["results"]) for r in results) == 48

    driver, db = memory.store.driver, memory.store.database
    counts, _, _ = driver.execute_query(
        "MATCH (e:Entity {user_id: $u}) RETURN e.key AS key, count(*) AS n", u=user_id, database_=db
    )
    assert {r["key"]: r["n"] for r in counts} == {name.lower(): 1 for name in PEOPLE + CITIES}
    facts, _, _ = driver.execute_query(
        "MATCH (f:Fact {user_id: $u})-[:FROM]->(:Episode) RETURN count(f) AS n",
        u=user_id,
        database_=db,
    )
    assert facts[0]["n"] == 48
    relations, _, _ = driver.execute_query(
        "MATCH (:Entity {user_id: $u})-[r:MET|VISITED]->(:Entity) RETURN count(r) AS n",
        u=user_id,
        database_=db,
    )
    assert relations[0]["n"] == 96
    scopes, _, _ = driver.execute_query(
        "MATCH (s:Scope {user_id: $u}) RETURN count(s) AS n", u=user_id, database_=db
    )
    assert scopes[0]["n"] == 1


ROUNDS_PER_SCOPE = 50
SCOPES = 4


def _delete_and_add_race(memory: Memory, user: str) -> list[str]:
    """Facts about new entities Xavi0..Xavi49, then round by round, at once: delete the
    fact about XaviN (which orphans XaviN, so the delete removes it) and add another fact
    about XaviN."""
    firsts = memory.add_facts(
        [
            {"text": f"Xavi{n} visited Oslo in round {n}.", "entities": [f"Xavi{n}", "Oslo"]}
            for n in range(ROUNDS_PER_SCOPE)
        ],
        user_id=user,
    )["results"]
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n, first in enumerate(firsts):
            both = threading.Barrier(2)
            second = {
                "text": f"Xavi{n} met Yara in round {n}.",
                "entities": [f"Xavi{n}", "Yara"],
                "relations": [{"source": f"Xavi{n}", "relation": "MET", "target": "Yara"}],
            }
            racers = [
                pool.submit(_after, both, memory.delete, first["id"], user_id=user),
                pool.submit(_after, both, memory.add_facts, [second], user_id=user),
            ]
            for racer in racers:
                try:
                    racer.result(timeout=120)
                except Exception as exc:  # counted: the test expects none
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
    return errors


def _after(barrier: threading.Barrier, call: Any, *args: Any, **kwargs: Any) -> Any:
    barrier.wait(timeout=60)
    return call(*args, **kwargs)


def test_deletes_and_adds_of_one_scope_serialise(memory: Memory, user_id: str) -> None:
    """Issue 13, F5: a delete raced the adds of its scope (EntityNotFoundException from
    setNodeVectorProperty, 13 of 80 adds failed). 200 rounds over 4 scopes: no error, the
    invariants hold, and every added fact keeps its links."""
    users = [f"{user_id}-{i}" for i in range(SCOPES)]
    try:
        with ThreadPoolExecutor(max_workers=SCOPES) as pool:
            errors = [
                e
                for found in pool.map(lambda u: _delete_and_add_race(memory, u), users)
                for e in found
            ]
        assert errors == []
        driver, db = memory.store.driver, memory.store.database
        report = invariants.check(driver, db, user_ids=users)
        assert report.ok, report.describe()
        records, _, _ = driver.execute_query(
            "MATCH (f:Fact)-[:ABOUT]->(e:Entity) WHERE f.user_id IN $users AND f.text "
            "CONTAINS ' met Yara ' AND e.name STARTS WITH 'Xavi' "
            "MATCH (e)-[:MET {fact_id: f.id}]->(:Entity {name: 'Yara'}) RETURN count(f) AS n",
            users=users,
            database_=db,
        )
        assert records[0]["n"] == SCOPES * ROUNDS_PER_SCOPE
        assert report.counts["facts"] == SCOPES * ROUNDS_PER_SCOPE  # the first facts are gone
    finally:
        for user in users:
            memory.reset(user_id=user)
