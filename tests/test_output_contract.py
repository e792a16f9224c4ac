"""Search edges and the output contract (issue 12, findings 6 and 7), on the real Neo4j:
as_of as text or a date, threshold, the CLI's search flags and change-log command, the
remembered local server, one timestamp format, one envelope, exit 2 for usage errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graphmem.errors import InputError
from graphmem.memory import Memory
from graphmem.server.rest import create_app
from tests.cli_runner import cli_env, run
from tests.neo4j_session import Neo4jTarget

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
TIME_KEYS = {"valid_from", "valid_to", "created_at", "updated_at", "invalidated_at", "at"}
CITIES = [
    {
        "text": "Alice lives in Berlin.",
        "entities": ["Alice", "Berlin"],
        "relations": [{"source": "Alice", "relation": "lives in", "target": "Berlin"}],
        "valid_from": "2015-03-01T00:00:00Z",
        "valid_to": "2022-06-01T00:00:00Z",
        "metadata": {"room": "east"},
    },
    {
        "text": "Alice lives in Lisbon.",
        "entities": ["Alice", "Lisbon"],
        "relations": [{"source": "Alice", "relation": "lives in", "target": "Lisbon"}],
        "valid_from": "2022-06-01T00:00:00Z",
        "metadata": {"room": "west"},
    },
]
QUESTION = "Which city does Alice live in?"


@pytest.fixture
def cities(memory: Memory, user_id: str) -> Iterator[str]:
    memory.add_facts(CITIES, user_id=user_id)
    yield user_id


def texts(found: dict[str, Any]) -> list[str]:
    return [r["memory"] for r in found["results"]]


def test_as_of_takes_iso_text_and_dates_and_refuses_the_rest(memory: Memory, cities: str) -> None:
    for when in ("2019-01-01", "2019-01-01T12:00:00+02:00", date(2019, 1, 1), datetime(2019, 1, 1)):
        assert texts(memory.search(QUESTION, user_id=cities, as_of=when)) == [
            "Alice lives in Berlin."
        ], when
    for bad in ("yesterday", "2019-13-45", "", object()):
        with pytest.raises(InputError, match="as_of"):
            memory.search(QUESTION, user_id=cities, as_of=bad)  # type: ignore[arg-type]

    client = TestClient(create_app(memory, None))
    body = {"query": QUESTION, "user_id": cities}
    then = client.post("/v1/memories/search", json={**body, "as_of": "2019-01-01"})
    assert then.status_code == 200, then.text
    assert texts(then.json()) == ["Alice lives in Berlin."]
    refused = client.post("/v1/memories/search", json={**body, "as_of": "not a date"})
    assert refused.status_code == 422 and "as_of" in refused.text


ROWING = "Does Kim row?"


@pytest.fixture
def hobbies(memory: Memory, user_id: str) -> Iterator[str]:
    """Two facts with no entities: their scores are plain cosine, below 1."""
    memory.add(
        ["Kim rows on the river.", "Kim bakes sourdough bread."], user_id=user_id, infer=False
    )
    yield user_id


def separating_threshold(memory: Memory, user: str) -> float:
    """A threshold (within 0..1) between the two facts' scores."""
    found = memory.search(ROWING, user_id=user)["results"]
    assert len(found) == 2 and 0 < found[0]["score"] <= 1 and found[1]["score"] < found[0]["score"]
    return max((found[0]["score"] + found[1]["score"]) / 2, 0.0)


def test_threshold_drops_weaker_results(memory: Memory, hobbies: str) -> None:
    cut = separating_threshold(memory, hobbies)
    kept = memory.search(ROWING, user_id=hobbies, threshold=cut)["results"]
    assert [r["memory"] for r in kept] == ["Kim rows on the river."]
    assert memory.search(ROWING, user_id=hobbies, threshold=0)["results"][1:]  # both kept
    for bad in (1.5, -0.1, "0.5", True):
        with pytest.raises(InputError, match="threshold"):
            memory.search(ROWING, user_id=hobbies, threshold=bad)  # type: ignore[arg-type]
    client = TestClient(create_app(memory, None))
    answer = client.post(
        "/v1/memories/search", json={"query": ROWING, "user_id": hobbies, "threshold": cut}
    )
    assert answer.status_code == 200 and texts(answer.json()) == ["Kim rows on the river."]
    assert (
        client.post(
            "/v1/memories/search", json={"query": ROWING, "user_id": hobbies, "threshold": 2}
        ).status_code
        == 422
    )


def test_weak_results_show_small_scores_not_zero(memory: Memory, user_id: str) -> None:
    # Facts like one another and unlike the query: MMR takes more off the later ones than
    # their blend is, and the shown score used to clip that to 0.
    facts = [
        f"Kim bakes a {bread} loaf every {day}."
        for bread, day in [
            ("rye", "Monday"),
            ("spelt", "Tuesday"),
            ("wheat", "Friday"),
            ("oat", "Sunday"),
        ]
    ]
    memory.add(facts, user_id=user_id, infer=False)
    found = memory.search("quantum chromodynamics lecture", user_id=user_id)["results"]
    shown = [r["score"] for r in found]
    assert len(shown) == 4 and shown == sorted(shown, reverse=True)
    assert all(0 < x < 1 for x in shown), shown


def test_cli_search_flags(memory: Memory, cities: str, settings: Any, tmp_path: Path) -> None:
    env = cli_env(settings, tmp_path)

    def search(*flags: str) -> list[str]:
        result = run(env, "search", QUESTION, "--user", cities, "--json", *flags)
        assert result.exit_code == 0, result.output
        return texts(json.loads(result.stdout))

    assert search() == ["Alice lives in Lisbon."]
    assert search("--as-of", "2019-01-01") == ["Alice lives in Berlin."]
    assert sorted(search("--include-superseded")) == [
        "Alice lives in Berlin.",
        "Alice lives in Lisbon.",
    ]
    assert search("--include-superseded", "--filter", '{"room": "east"}') == [
        "Alice lives in Berlin."
    ]
    kim = f"{cities}-kim"
    try:
        memory.add(
            ["Kim rows on the river.", "Kim bakes sourdough bread."], user_id=kim, infer=False
        )
        cut = str(separating_threshold(memory, kim))
        rowing = run(env, "search", ROWING, "--user", kim, "--json", "--threshold", cut)
        assert texts(json.loads(rowing.stdout)) == ["Kim rows on the river."]
    finally:
        memory.reset(user_id=kim)
    for bad in (["--as-of", "someday"], ["--filter", "{nope"], ["--threshold", "x"]):
        result = run(env, "search", QUESTION, "--user", cities, *bad)
        assert result.exit_code == 2 and "Traceback" not in result.output, bad
    empty = run(env, "search", "  ", "--user", cities)
    assert empty.exit_code == 2 and "QUERY is empty" in empty.output


def test_cli_log_prints_a_memorys_change_log(
    memory: Memory, user_id: str, settings: Any, tmp_path: Path
) -> None:
    env = cli_env(settings, tmp_path)
    fact_id = memory.add("Ada paints.", user_id=user_id, infer=False)["results"][0]["id"]
    memory.update(fact_id, "Ada paints in oils.", user_id=user_id, infer=False)
    table = run(env, "log", fact_id, "--user", user_id)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["at", "event", "memory", "text", "reason"]
    assert "ADD" in lines[2] and "Ada paints." in lines[2]
    assert "UPDATE" in lines[3] and "Ada paints in oils." in lines[3]
    assert run(env, "log", "no-such-memory", "--user", user_id).exit_code == 3


def test_the_local_server_neo4j_start_used_is_remembered(
    neo4j_server: Neo4jTarget, user_id: str, memory: Memory, settings: Any, tmp_path: Path
) -> None:
    if neo4j_server.info is None:
        pytest.skip("GRAPHMEM_TEST_NEO4J_URI points at an external server")
    info = neo4j_server.info
    env = cli_env(settings, tmp_path)
    # Nothing says where Neo4j is, nor its password (issue 13: the home stores it)...
    del env["GRAPHMEM_NEO4J_URI"], env["GRAPHMEM_NEO4J_PASSWORD"]
    memory.add("Kim rows.", user_id=user_id, infer=False)
    # ...but `neo4j start` on a port of its own (here: finding the session's server running).
    started = run(
        env,
        "neo4j", "start", "--no-docker", "--home", str(info.home),
        "--bolt-port", str(info.bolt_port), "--http-port", str(info.http_port),
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    listed = run(env, "list", "--user", user_id, "--json")
    assert listed.exit_code == 0, listed.output
    assert texts(json.loads(listed.stdout)) == ["Kim rows."]
    shown = json.loads(run(env, "browser", "--json").stdout)
    assert shown["connect_url"] == info.uri and shown["url"] == info.browser_url
    # ...and the password came from the started server's home, not the data dir's default.
    assert shown["password"].startswith(f"stored in {info.home / 'graphmem-neo4j.password'}")


def test_an_explicit_uri_wins_over_the_remembered_server(settings: Any, tmp_path: Path) -> None:
    from graphmem.config import remember_local_server

    env = cli_env(settings, tmp_path)
    remember_local_server(Path(env["GRAPHMEM_DATA_DIR"]), "bolt://127.0.0.1:1", "", tmp_path)
    config = json.loads(run(env, "config", "show", "--json").stdout)
    assert config["neo4j_uri"] == settings.neo4j_uri


def test_one_timestamp_format_and_one_envelope(
    memory: Memory, cities: str, settings: Any, tmp_path: Path
) -> None:
    env = cli_env(settings, tmp_path)
    outputs: dict[str, Any] = {}
    for name, args in {
        "list": ["list", "--user", cities, "--json"],
        "entities": ["entities", "--user", cities, "--json"],
        "relations": ["relations", "--user", cities, "--json", "--all"],
        "history": ["history", "Alice", "--user", cities, "--json"],
        "search": ["search", QUESTION, "--user", cities, "--json"],
        "export": ["export", "--user", cities],
    }.items():
        result = run(env, *args)
        assert result.exit_code == 0, result.output
        outputs[name] = json.loads(result.stdout)
    for name in ("list", "entities", "relations", "search"):
        assert isinstance(outputs[name]["results"], list) and outputs[name]["results"], name
    stamps = list(_timestamps(outputs))
    assert len(stamps) > 20
    assert [s for s in stamps if not ISO_UTC.match(s)] == []
    entity = outputs["history"]["entity"]
    assert "embedding" not in entity and "scope_key" not in entity
    api = memory.get_all(user_id=cities)
    assert api["results"] == outputs["list"]["results"]
    assert memory.history(api["results"][0]["id"])[0]["created_at"].endswith("Z")
    now = datetime.now(timezone.utc).isoformat()
    assert all(s <= now.replace("+00:00", "Z") for s in stamps if s.startswith("20"))


def _timestamps(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TIME_KEYS and isinstance(item, str):
                yield item
            else:
                yield from _timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item)
