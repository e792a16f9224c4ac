"""Concurrent writers in one scope: constraints, not luck, keep entities unique."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from graphmem.memory import Memory

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
