"""Tenant isolation, property-tested: random scope ids (quotes, backticks, separators, any
unicode), random facts in random scopes, random reads under random filters. Nothing ever
leaves its scope, through the library or through a REST key.

tests/test_filters.py already checks filter semantics against brute force over fixed ids;
this module varies the ids themselves, covers every read (get, get_all, search, entities,
relations, export_graph, history, entity_history) and the writes that take an id (update,
delete), and runs the same property through REST keys bound to scopes.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem.errors import InputError, NotFoundError
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.server.auth import KeyRing
from graphmem.server.rest import create_app
from tests import invariants

# Characters that have broken scope handling elsewhere: separators, quotes, escapes, space.
TRICKY = st.sampled_from(["a", "b", " ", "\x1f", "'", '"', "`", "\\", "/", "*", "é", "%", "{"])
ID_TEXT = st.text(alphabet=TRICKY | st.characters(codec="utf-8"), min_size=1, max_size=6)
ROOMS = ["alpha", "beta"]
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PROPERTY = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Stored:
    """A fact written in a scope, as the property's brute-force reference knows it."""

    id: str
    text: str
    scope: dict[str, str | None]
    room: str
    entity: str


def in_scope(stored: dict[str, str | None], read: dict[str, str | None]) -> bool:
    """graphmem's scope rule: every id the read names must equal the stored one."""
    return all(v is None or stored.get(k) == v for k, v in read.items())


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    """A few users, agents and runs (random text under a per-example tag), scopes of them."""
    tag = uuid.uuid4().hex[:8]
    users = [f"iso-{tag}-{t}" for t in draw(st.lists(ID_TEXT, min_size=1, max_size=3))]
    agents = [None, *(f"ag-{tag}-{t}" for t in draw(st.lists(ID_TEXT, max_size=2)))]
    runs = [None, f"run-{tag}-{draw(ID_TEXT)}"]
    scope = st.builds(
        lambda u, a, r: {"user_id": u, "agent_id": a, "run_id": r},
        st.sampled_from(users),
        st.sampled_from(agents),
        st.sampled_from(runs),
    )
    written = draw(st.lists(scope, min_size=2, max_size=5))
    reads = draw(st.lists(scope, min_size=1, max_size=3))
    # partial reads too: a user alone, an agent alone
    reads += [{"user_id": draw(st.sampled_from(users)), "agent_id": None, "run_id": None}]
    if agents[1:]:
        reads += [{"user_id": None, "agent_id": draw(st.sampled_from(agents[1:])), "run_id": None}]
    rooms = draw(st.lists(st.sampled_from(ROOMS), min_size=len(written), max_size=len(written)))
    return {"tag": tag, "users": users, "written": written, "reads": reads, "rooms": rooms}


def write_world(memory: Memory, world: dict[str, Any]) -> list[Stored]:
    """One fact per written scope, all about an entity of the same name ("Alice")."""
    stored = []
    for i, (scope, room) in enumerate(zip(world["written"], world["rooms"], strict=True)):
        text = f"Alice note {world['tag']}-{i}: she keeps secret number {i}."
        if has_control(scope):  # refused: such an id could collide with another's scope key
            with pytest.raises(InputError, match="control characters"):
                memory.add_facts([text], **scope)
            continue
        result = memory.add_facts(
            [
                {
                    "text": text,
                    "entities": ["Alice", f"Secret {i}"],
                    "relations": [
                        {"source": "Alice", "relation": "KEEPS", "target": f"Secret {i}"}
                    ],
                    "metadata": {"room": room},
                }
            ],
            **scope,
        )
        stored.append(Stored(result["results"][0]["id"], text, scope, room, f"Secret {i}"))
    return stored


def has_control(scope: dict[str, str | None]) -> bool:
    return any(v is not None and CONTROL.search(v) for v in scope.values())


def cleanup(memory: Memory, world: dict[str, Any]) -> None:
    for user in world["users"]:
        if not CONTROL.search(user):
            memory.reset(user_id=user)


FILTERS = st.sampled_from(
    [
        None,
        {"room": "alpha"},
        {"NOT": {"room": "alpha"}},
        {"OR": [{"room": "alpha"}, {"room": "beta"}]},
        {"user_id": {"ne": "nobody"}},
    ]
)


def matches(fact: Stored, filters: dict[str, Any] | None) -> bool:
    if filters is None or "user_id" in filters or "OR" in filters:
        return True
    if "NOT" in filters:
        return fact.room != "alpha"
    return fact.room == filters["room"]


@PROPERTY
@given(world=worlds(), filters=FILTERS, data=st.data())
def test_nothing_leaves_its_scope(
    memory: Memory, world: dict[str, Any], filters: dict[str, Any] | None, data: st.DataObject
) -> None:
    try:
        stored = write_world(memory, world)
        for read in world["reads"]:
            check_read(memory, stored, read, filters, data)
        driver, db = memory.store.driver, memory.store.database
        report = invariants.check(driver, db, user_ids=world["users"])
        assert report.ok, report.describe()
        # "Alice" is one node per written scope key, never one shared across scopes
        keys = {Scope(**s.scope).key for s in stored}
        assert report.counts["entities"] == len(keys) + len(stored)
    finally:
        cleanup(memory, world)


def check_read(
    memory: Memory,
    stored: list[Stored],
    read: dict[str, str | None],
    filters: dict[str, Any] | None,
    data: st.DataObject,
) -> None:
    if has_control(read):
        with pytest.raises(InputError):
            memory.get_all(**read)
        return
    visible = [s for s in stored if in_scope(s.scope, read)]
    expected = {s.id for s in visible if matches(s, filters)}
    listed = memory.get_all(**read, filters=filters)["results"]
    assert {r["id"] for r in listed} == expected
    found = memory.search("What secret does Alice keep?", **read, filters=filters, top_k=20)
    assert {r["id"] for r in found["results"]} <= expected
    visible_texts = {s.text for s in visible}
    assert all(r["memory"] in visible_texts for r in found["results"])
    names = {e["name"] for e in memory.entities(**read, limit=1000)["results"]}
    assert names <= {"Alice"} | {s.entity for s in visible}
    relations = memory.relations(**read, limit=1000)["results"]
    assert {r["target"] for r in relations} <= {s.entity for s in visible}
    exported = memory.export_graph(**read)
    assert {n["text"] for n in exported["nodes"] if n.get("text")} <= visible_texts
    history = memory.entity_history("Alice", **read)
    if history is not None:
        assert {f["memory"] for f in history["facts"]} <= visible_texts
    if not stored:
        return
    other = data.draw(st.sampled_from(stored))
    if other in visible:
        assert memory.get(other.id, **read) is not None
    else:
        assert memory.get(other.id, **read) is None
        assert memory.history(other.id, **read) == []
        with pytest.raises(NotFoundError):
            memory.update(other.id, "overwritten from outside", **read)
        with pytest.raises(NotFoundError):
            memory.delete(other.id, **read)
        assert memory.get(other.id)["memory"] == other.text  # untouched


def test_scope_ids_that_differ_only_in_a_separator_do_not_share_a_scope(memory: Memory) -> None:
    """The scope key joins ids with \\x1f: 'a\\x1fb' and 'a b' must still be two tenants."""
    tag = uuid.uuid4().hex[:8]
    first, second = f"iso-{tag}-a\x1fb", f"iso-{tag}-a b"
    try:
        try:
            memory.add_facts(["First tenant's secret is 1."], user_id=first)
        except InputError:
            return  # refusing such an id outright is isolation too (and nothing to clean)
        memory.add_facts(["Second tenant's secret is 2."], user_id=second)
        for user, own in ((first, "First"), (second, "Second")):
            texts = [r["memory"] for r in memory.get_all(user_id=user)["results"]]
            assert texts == [f"{own} tenant's secret is {1 if own == 'First' else 2}."]
    finally:
        with contextlib.suppress(InputError):  # refused ids have nothing to clean
            memory.reset(user_id=first)
        memory.reset(user_id=second)


# ---- REST keys -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rest_world(memory: Memory) -> Iterator[dict[str, Any]]:
    """Four keys bound to scopes (users, a user+agent), facts in every scope, one client."""
    tag = uuid.uuid4().hex[:8]
    users = [f"rest-{tag}-u{i}" for i in range(3)]
    grants = {
        "k-u0": {"user_id": users[0]},
        "k-u1": {"user_id": users[1]},
        "k-u0-a1": {"user_id": users[0], "agent_id": "a1"},
        "k-u2-a1-r1": {"user_id": users[2], "agent_id": "a1", "run_id": "r1"},
    }
    scopes = [
        {"user_id": u, "agent_id": a, "run_id": r}
        for u in users
        for a, r in ((None, None), ("a1", None), ("a1", "r1"), ("a2", None))
    ]
    stored = []
    for i, scope in enumerate(scopes):
        text = f"Rest fact {tag}-{i}: the code is {i}."
        result = memory.add_facts([{"text": text, "metadata": {"room": ROOMS[i % 2]}}], **scope)
        stored.append(Stored(result["results"][0]["id"], text, scope, ROOMS[i % 2], ""))
    keys = KeyRing.from_mapping({"keys": {f"sk-{tag}-{k}": v for k, v in grants.items()}})
    client = TestClient(create_app(memory, keys))
    tokens = {k: f"sk-{tag}-{k}" for k in grants}
    yield {"client": client, "grants": grants, "tokens": tokens, "stored": stored, "users": users}
    for user in users:
        memory.reset(user_id=user)


def _granted(grant: dict[str, str], stored: Stored) -> bool:
    return in_scope(stored.scope, {"user_id": None, "agent_id": None, "run_id": None, **grant})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rest_keys_stay_inside_their_scopes(
    rest_world: dict[str, Any], data: st.DataObject
) -> None:
    client, stored = rest_world["client"], rest_world["stored"]
    key = data.draw(st.sampled_from(sorted(rest_world["grants"])))
    grant = rest_world["grants"][key]
    headers = {"Authorization": f"Bearer {rest_world['tokens'][key]}"}
    mine = {s.id for s in stored if _granted(grant, s)}
    # The request may name any scope ids: the key's own, another tenant's, or none.
    named = data.draw(st.sampled_from([{}, *(s.scope for s in stored)]))
    params = {k: v for k, v in named.items() if v is not None}
    allowed = all(grant.get(k) in (None, v) for k, v in params.items())
    narrowed = {s.id for s in stored if s.id in mine and in_scope(s.scope, named or {})}

    listed = client.get("/v1/memories", params={**params, "limit": 1000}, headers=headers)
    searched = client.post(
        "/v1/memories/search",
        json={"query": "what is the code?", "top_k": 50, **params},
        headers=headers,
    )
    for answer in (listed, searched):
        if not allowed:
            assert answer.status_code == 403, answer.text
            continue
        assert answer.status_code == 200, answer.text
        got = {r["id"] for r in answer.json()["results"]}
        assert got <= mine
    if allowed:
        assert {r["id"] for r in listed.json()["results"]} == narrowed

    target = data.draw(st.sampled_from(stored))
    by_id = client.get(f"/v1/memories/{target.id}", headers=headers)
    assert by_id.status_code == (200 if target.id in mine else 404)
    if target.id not in mine:
        for answer in (
            client.put(f"/v1/memories/{target.id}", json={"text": "pwned"}, headers=headers),
            client.delete(f"/v1/memories/{target.id}", headers=headers),
            client.get(f"/v1/memories/{target.id}/history", headers=headers),
        ):
            assert answer.status_code == 404, answer.text
    assert all(r["name"] for r in client.get("/v1/entities", headers=headers).json()["results"])
