"""Build the memory docs/browser-graph.png shows: a few hundred facts with superseded history.

Sam's life over six years, told turn by turn through Memory.add with a timestamp, so moves
and job changes go through the real resolution and write path (the LLM is the test suite's
scripted server answering from the table below, as a good model would); everyday facts
about Sam and ten people come pre-extracted through add_facts. Run from a checkout:

    graphmem neo4j start --home /tmp/demo-neo4j --bolt-port 27687 --http-port 27474
    python docs/browser_demo.py --user sam  # connects where `neo4j start` said, its password
    password=$(graphmem neo4j status --home /tmp/demo-neo4j --show-password |
               sed -n 's/^password: //p')
    node docs/browser-screenshot.js http://127.0.0.1:27474/browser/ "$password" \\
        cypher/browser/graphmem.grass cypher/browser/user_graph.cypher sam \\
        docs/browser-graph.png
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphmem.memory import Memory
from tests.fact_llm import Fact, FactsLLM
from tests.scripted_llm import ScriptedLLMServer

START = datetime(2019, 3, 1, tzinfo=timezone.utc)
PEOPLE = {  # name: (relation to Sam, first city, later city or None, employer)
    "Jennifer": ("SISTER_OF", "Munich", "Vienna", "Siemens"),
    "Tom": ("BROTHER_OF", "Hamburg", None, "Airbus"),
    "Marco": ("FRIEND_OF", "Berlin", "Milan", None),
    "Priya": ("COLLEAGUE_OF", "Amsterdam", None, "Globex"),
    "Lena": ("FRIEND_OF", "Berlin", "Lisbon", "Zalando"),
    "Omar": ("FRIEND_OF", "Amsterdam", None, "Booking"),
    "Yuki": ("COLLEAGUE_OF", "Lisbon", None, "Initech"),
    "Ravi": ("NEIGHBOUR_OF", "Lisbon", None, None),
    "Chloe": ("FRIEND_OF", "Paris", "Lisbon", None),
    "Ana": ("PARTNER_OF", "Porto", "Lisbon", "Farfetch"),
}
SAM_HOMES = ["Berlin", "Amsterdam", "Lisbon"]
SAM_JOBS = ["Acme", "Globex", "Initech"]
LIKES = [
    "jazz", "climbing", "sourdough", "chess", "cycling", "sci-fi novels", "board games",
    "espresso", "hiking", "photography", "gardening", "yoga", "podcasts", "running",
    "Italian food", "vinyl records", "museums", "surfing", "sketching", "karaoke",
]  # fmt: skip


def events() -> list[tuple[datetime, str, Fact]]:
    """What Sam says over the years, each with when it was said."""
    said: list[tuple[datetime, str, Fact]] = []
    day = START
    for city, job in zip(SAM_HOMES, SAM_JOBS, strict=True):
        said.append((day, f"I live in {city} now.", _fact("User", "LIVES_IN", city, "City")))
        said.append(
            (
                day + timedelta(days=20),
                f"I work at {job} now.",
                _fact("User", "WORKS_AT", job, "Organization"),
            )
        )
        day += timedelta(days=700)
    for n, (name, (tie, first, later, employer)) in enumerate(PEOPLE.items()):
        when = START + timedelta(days=30 * n + 5)
        said.append((when, f"{name} is my {tie}.", _fact(name, tie, "User", "Person")))
        said.append((when, f"{name} lives in {first}.", _fact(name, "LIVES_IN", first, "City")))
        if employer:
            said.append(
                (
                    when,
                    f"{name} works at {employer}.",
                    _fact(name, "WORKS_AT", employer, "Organization"),
                )
            )
        if later:
            moved = when + timedelta(days=600 + 40 * n)
            said.append(
                (moved, f"{name} moved to {later}.", _fact(name, "LIVES_IN", later, "City"))
            )
    return sorted(said, key=lambda e: e[0])


VERBS = {"SISTER_OF": "is the sister of", "BROTHER_OF": "is the brother of",
         "FRIEND_OF": "is a friend of", "COLLEAGUE_OF": "is a colleague of",
         "NEIGHBOUR_OF": "is a neighbour of", "PARTNER_OF": "is the partner of"}  # fmt: skip


def _fact(source: str, relation: str, target: str, target_type: str) -> Fact:
    verb = VERBS.get(relation, relation.lower().replace("_", " "))
    text = f"{source} {verb} {target}"
    other = ("User", "Person") if target == "User" else (target, target_type)
    return Fact(text, [(source, "Person"), other], [(source, relation, target)])


def contradictions() -> set[frozenset[str]]:
    """Pairs a good model calls CONTRADICTS: two homes or two employers of one person."""
    pairs = set()
    homes = {"User": SAM_HOMES} | {n: [p[1], p[2]] for n, p in PEOPLE.items() if p[2]}
    for who, cities in homes.items():
        texts = [_fact(who, "LIVES_IN", c, "City").text for c in cities]
        pairs |= {frozenset({a, b}) for a in texts for b in texts if a != b}
    jobs = [_fact("User", "WORKS_AT", j, "Organization").text for j in SAM_JOBS]
    pairs |= {frozenset({a, b}) for a in jobs for b in jobs if a != b}
    return pairs


def everyday_facts() -> list[dict[str, object]]:
    """Plain facts about Sam and each person (no relations): likes, one per line."""
    facts: list[dict[str, object]] = []
    for n, name in enumerate(["Sam", *PEOPLE]):
        for k in range(len(LIKES)):
            thing = LIKES[(n * 7 + k) % len(LIKES)]
            who = "I" if name == "Sam" else name
            verb = "like" if who == "I" else "likes"
            facts.append(
                {
                    "text": f"{who} {verb} {thing}.",
                    "entities": [{"name": who, "type": "Person"}],
                    "valid_from": (START + timedelta(days=9 * k + n)).isoformat(),
                }
            )
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="sam")
    args = parser.parse_args()
    server = ScriptedLLMServer().start()
    table = {message: fact for _, message, fact in events()}
    server.responder = FactsLLM(table, contradictions())
    try:
        with Memory(llm_base_url=server.url, llm_max_retries=0) as memory:
            memory.reset(user_id=args.user)
            for when, message, _ in events():
                memory.add(message, user_id=args.user, timestamp=when)
            everyday = everyday_facts()
            for start in range(0, len(everyday), 100):  # add_facts takes 200 at most
                memory.add_facts(everyday[start : start + 100], user_id=args.user)
            listed = memory.get_all(user_id=args.user, include_superseded=True, limit=1000)
            rows = listed["results"]
            superseded = sum(r["status"] == "superseded" for r in rows)
            print(f"{len(rows)} facts for {args.user!r}, {superseded} superseded")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
