"""The CLI through click's CliRunner, on the real Neo4j and the real embedder."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graphmem.memory import Memory
from graphmem.resources import resource_dir
from tests.cli_runner import run

SAMPLE = json.loads((resource_dir("data") / "sample_conversation.json").read_text())


@pytest.fixture
def env(graphmem_env: dict[str, str]) -> dict[str, str]:
    """The test Neo4j and model for commands that build their own Memory from env."""
    return graphmem_env


@pytest.fixture
def sample_user(memory: Memory, user_id: str) -> str:
    memory.add_facts(SAMPLE["facts"], user_id=user_id)
    return user_id


def test_add_from_file_then_list_get_update_delete(
    env: dict[str, str], user_id: str, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Dana keeps bees on her balcony in Ghent.", encoding="utf-8")
    added = run(env, "add", "--file", str(note), "--user", user_id, "--no-infer", "--json")
    assert added.exit_code == 0, added.output
    memory_id = json.loads(added.stdout)["results"][0]["id"]

    listed = run(env, "list", "--user", user_id)
    assert listed.exit_code == 0, listed.output
    assert memory_id in listed.stdout and "Dana keeps bees" in listed.stdout

    got = json.loads(run(env, "get", memory_id, "--user", user_id, "--json").stdout)
    assert got["memory"] == "Dana keeps bees on her balcony in Ghent."

    updated = run(
        env, "update", memory_id, "Dana keeps bees in Ghent.", "--user", user_id, "--no-infer"
    )
    assert updated.exit_code == 0 and "UPDATE" in updated.stdout, updated.output

    lines = run(env, "list", "--user", user_id, "--nl").stdout.splitlines()
    assert [json.loads(line)["memory"] for line in lines] == ["Dana keeps bees in Ghent."]

    deleted = run(env, "delete", memory_id, "--user", user_id)
    assert deleted.exit_code == 0, deleted.output
    missing = run(env, "get", memory_id, "--user", user_id)
    assert missing.exit_code == 3
    assert "no memory" in missing.output and "Traceback" not in missing.output


def test_other_scope_cannot_see_or_delete(env: dict[str, str], sample_user: str) -> None:
    listed = json.loads(run(env, "list", "--user", sample_user, "--json").stdout)
    some_id = listed["results"][0]["id"]
    assert run(env, "get", some_id, "--user", "someone-else").exit_code == 3
    assert run(env, "delete", some_id, "--user", "someone-else").exit_code == 3
    own = run(env, "get", some_id, "--user", sample_user)
    assert own.exit_code == 0, own.output


def test_history_prints_a_timeline(env: dict[str, str], sample_user: str) -> None:
    result = run(env, "history", "Alice", "--user", sample_user)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Alice (Person)"
    assert lines[1].split() == [
        "valid_from", "->", "valid_to", "relation", "other", "end", "state", "source", "fact"
    ]  # fmt: skip
    works = next(line for line in lines if "WORKS_AT ->" in line)
    assert "Acme Corp" in works and "current" in works and "-> now" in works
    assert any("<- MANAGES" in line and "Bob" in line for line in lines)


def test_history_json_and_unknown_entity(env: dict[str, str], sample_user: str) -> None:
    found = json.loads(run(env, "history", "alice", "--user", sample_user, "--json").stdout)
    assert {r["relation"] for r in found["relations"]} >= {"WORKS_AT", "SISTER_OF", "LIVES_IN"}
    missing = run(env, "history", "Nobody", "--user", sample_user)
    assert missing.exit_code == 3 and "no entity named 'Nobody'" in missing.output


def test_entities_and_relations(env: dict[str, str], sample_user: str) -> None:
    people = json.loads(
        run(env, "entities", "--user", sample_user, "--type", "Person", "--json").stdout
    )["results"]
    assert {"Alice", "Carol", "Bob"} <= {p["name"] for p in people}
    assert all(p["type"] == "Person" for p in people)
    table = run(env, "entities", "--user", sample_user).stdout
    assert table.splitlines()[0].split()[:3] == ["name", "type", "mentions"]

    around_carol = json.loads(
        run(env, "relations", "--user", sample_user, "--entity", "Carol", "--json").stdout
    )["results"]
    triples = {(r["source"], r["relation"], r["target"]) for r in around_carol}
    assert ("Alice", "SISTER_OF", "Carol") in triples
    assert all("Carol" in (r["source"], r["target"]) for r in around_carol)
    assert all(r["fact"] for r in around_carol)


def test_search_json(env: dict[str, str], sample_user: str) -> None:
    result = run(env, "search", "Where does Alice live?", "--user", sample_user, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert set(found) >= {"results", "relations", "context"}
    assert "Amsterdam" in found["results"][0]["memory"]


def test_import_jsonl_with_a_bad_line(env: dict[str, str], user_id: str, tmp_path: Path) -> None:
    source = tmp_path / "conversations.jsonl"
    lines: list[Any] = [
        {"messages": [{"role": "user", "content": "Erik plays the cello."}]},
        [{"role": "user", "content": "Erik lives in Oslo."}],
        "not json at all",
        {"facts": [{"text": "Erik works at Statkraft.", "entities": ["Erik", "Statkraft"]}]},
    ]
    source.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    result = run(env, "import", str(source), "--user", user_id, "--no-infer", "--json")
    assert result.exit_code == 1  # one line failed
    summary = json.loads(result.stdout)
    assert summary["failed_lines"][0]["line"] == 3
    del summary["failed_lines"]
    assert summary == {"lines": 4, "imported": 3, "failed": 1, "memories": 3, "not_attempted": 0}
    assert "line 3: not JSON" in result.stderr
    listed = json.loads(run(env, "list", "--user", user_id, "--json").stdout)
    assert len(listed["results"]) == 3


def test_an_import_line_of_facts_is_valid_from_its_timestamp(
    env: dict[str, str], user_id: str, memory: Memory, tmp_path: Path
) -> None:
    source = tmp_path / "dated.jsonl"
    lines = [
        {"timestamp": "2024-01-09T10:00:00Z", "facts": ["Grace works at Umbrella."]},
        {"timestamp": "2024-01-09", "messages": [{"role": "user", "content": "Grace sings."}]},
    ]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = run(env, "import", str(source), "--user", user_id, "--no-infer")
    assert result.exit_code == 0, result.output
    starts = {m["memory"]: m["valid_from"] for m in memory.get_all(user_id=user_id)["results"]}
    assert starts["Grace works at Umbrella."].startswith("2024-01-09T10:00:00")
    assert starts["Grace sings."].startswith("2024-01-09")


# Issue 13, F4: lines that used to abort the run with a traceback (or, for user_id 0, were
# silently moved into the --user scope), each with the reason it is refused now.
BAD_IMPORT_LINES: list[tuple[str, str]] = [
    ('{"facts": ["bad 1"], "metadata": [1, 2]}', "metadata must be an object"),
    ('{"facts": 5}', "facts must be a non-empty list"),
    ('{"facts": ["bad 3"], "metadata": "abc"}', "metadata must be an object"),
    ('{"facts": [' * 5000 + "]" * 5000 + "}", "nests too deeply"),
    ('{"facts": ["bad 5"], "user_id": 0}', "user_id must be a string, not int"),
    ('{"facts": ["bad 6"], "metadata": {"n": NaN}}', "only finite numbers"),
    ('{"facts": [{"text": "bad 7", "valid_from": "9999-12-31T23:59:59-14:00"}]}', "9999"),
    ('{"messages": "bad 8", "timestamp": "9999-12-31T23:59:59-14:00"}', "9999"),
    ('{"facts": ["bad 9"], "agent_id": ["a"]}', "agent_id must be a string, not list"),
]


def test_import_reports_every_bad_line_and_imports_the_rest(
    env: dict[str, str], user_id: str, memory: Memory, tmp_path: Path
) -> None:
    good = [json.dumps({"facts": [f"Good fact number {n}."]}) for n in range(4)]
    # good, then the bad lines, a blank one, then good again: line numbers count the blank
    body = [good[0], good[1], *(line for line, _ in BAD_IMPORT_LINES), "", good[2], good[3]]
    source = tmp_path / "mixed.jsonl"
    source.write_text("\n".join(body) + "\n", encoding="utf-8")
    result = run(env, "import", str(source), "--user", user_id, "--no-infer", "--json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    summary = json.loads(result.stdout)
    assert (summary["lines"], summary["imported"], summary["failed"]) == (13, 4, 9)
    assert summary["memories"] == 4 and summary["not_attempted"] == 0
    failed = {f["line"]: f["reason"] for f in summary["failed_lines"]}
    assert sorted(failed) == list(range(3, 12))
    for number, (_, reason) in enumerate(BAD_IMPORT_LINES, 3):
        assert reason in failed[number], (number, failed[number])
        assert f"line {number}: " in result.stderr
    stored = {m["memory"] for m in memory.get_all(user_id=user_id)["results"]}
    assert stored == {f"Good fact number {n}." for n in range(4)}  # bad 5 not moved here

    text = run(env, "import", str(source), "--user", user_id, "--no-infer")
    assert text.stdout.startswith("imported 4 of 13 lines (4 memories); 9 failed: line 3, 4")


def test_export_json_and_graphml(env: dict[str, str], sample_user: str, tmp_path: Path) -> None:
    as_json = run(env, "export", "--user", sample_user)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    graph = nx.node_link_graph(data, edges="edges")
    names = {d.get("name") for _, d in graph.nodes(data=True)}
    assert {"Alice", "Carol", "Acme Corp"} <= names
    assert any(d["type"] == "WORKS_AT" for _, _, d in graph.edges(data=True))
    assert not any("embedding" in d for _, d in graph.nodes(data=True))

    target = tmp_path / "graph.graphml"
    result = run(env, "export", "--user", sample_user, "--format", "graphml", "-o", str(target))
    assert result.exit_code == 0, result.output
    again = nx.read_graphml(target)
    assert again.number_of_nodes() == graph.number_of_nodes()
    assert again.number_of_edges() == graph.number_of_edges()
    alice = next(d for _, d in again.nodes(data=True) if d.get("name") == "Alice")
    assert alice["labels"] == ":Entity:Person"


def test_errors_are_one_line_with_exit_codes(env: dict[str, str]) -> None:
    no_scope = run(env, "list")
    assert no_scope.exit_code == 2  # a usage error: no scope given
    assert "Error: invalid scope" in no_scope.output
    assert "Traceback" not in no_scope.output
    bad_filter = run(env, "list", "--user", "u", "--filter", "{nope")
    assert bad_filter.exit_code == 2  # a usage error
    both = run(env, "delete", "some-id", "--all", "--user", "u")
    assert both.exit_code == 2


def test_neo4j_down_is_a_clear_error(env: dict[str, str]) -> None:
    down = {**env, "GRAPHMEM_NEO4J_URI": "bolt://127.0.0.1:1"}
    result = run(down, "entities", "--user", "u")
    assert result.exit_code == 1
    assert "Neo4j is not reachable" in result.output and "Traceback" not in result.output


def test_doctor_reports_each_part(
    env: dict[str, str], scripted_llm: Any, memory: Memory, user_id: str
) -> None:
    scripted_llm.available_models = {"qwen2.5:7b"}
    ok = run({**env, "GRAPHMEM_LLM_BASE_URL": scripted_llm.url}, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(ok.stdout)}
    assert ok.exit_code == 0, ok.stdout
    assert checks["neo4j"]["outcome"] == "ok" and "5." in checks["neo4j"]["detail"]
    assert "dim 384" in checks["indexes"]["detail"]
    assert "dimension 384" in checks["embedder"]["detail"]
    assert checks["llm"]["outcome"] == "ok"
    assert checks["copies"]["outcome"] in ("ok", "warn")  # other tests' facts share the store

    # A fact as an older graphmem wrote it (no float16 copy): a warning naming the fix, and
    # after `graphmem upgrade` none.
    memory.add_facts(["Ada keeps bees in Ghent."], user_id=user_id)
    memory.store.driver.execute_query(
        "MATCH (s:Scope {user_id: $u}) MATCH (f:Fact {scope_key: s.key}) REMOVE f.embedding_f16",
        {"u": user_id},
    )
    old = run({**env, "GRAPHMEM_LLM_BASE_URL": scripted_llm.url}, "doctor", "--json")
    copies = {c["name"]: c for c in json.loads(old.stdout)}["copies"]
    assert copies["outcome"] == "warn" and "graphmem upgrade" in copies["detail"]
    assert old.exit_code == 0  # a warning, not a failure: search still answers
    assert run(env, "upgrade").exit_code == 0
    upgraded = run({**env, "GRAPHMEM_LLM_BASE_URL": scripted_llm.url}, "doctor", "--json")
    assert {c["name"]: c for c in json.loads(upgraded.stdout)}["copies"]["outcome"] == "ok"

    scripted_llm.available_models = {"llama3.2:1b"}
    missing = run({**env, "GRAPHMEM_LLM_BASE_URL": scripted_llm.url}, "doctor")
    assert missing.exit_code == 1
    assert "ollama pull qwen2.5:7b" in missing.stdout


def test_no_command_prints_a_secret_from_a_url(env: dict[str, str]) -> None:
    """F10: `config show` printed credentials inside URLs, and a Neo4j URI holding a
    password crashed `doctor` with a traceback that echoed it."""
    secret_llm = {**env, "GRAPHMEM_LLM_BASE_URL": "http://u:hunter2@127.0.0.1:1/?api-key=sk-9"}
    shown = run(secret_llm, "config", "show")
    assert shown.exit_code == 0
    assert "hunter2" not in shown.output and "sk-9" not in shown.output
    doctor = run(secret_llm, "doctor")
    assert "hunter2" not in doctor.output and "sk-9" not in doctor.output
    assert "127.0.0.1:1" in doctor.output  # the LLM check still says where it looked

    secret_uri = {**env, "GRAPHMEM_NEO4J_URI": "bolt://neo4j:s3cret@127.0.0.1:7687"}
    for command in (["doctor"], ["list", "--user", "u"], ["config", "show"]):
        result = run(secret_uri, *command)
        assert result.exit_code == 1, (command, result.output)
        assert "s3cret" not in result.output and "Traceback" not in result.output
        assert "carries credentials" in result.output


def test_browser_lists_style_and_queries(env: dict[str, str]) -> None:
    result = run(env, "browser", "--json")
    info = json.loads(result.stdout)
    assert info["url"].endswith("/browser/")
    assert Path(info["style"]).name == "graphmem.grass"
    names = {Path(q).name for q in info["queries"]}
    assert names == {
        "user_graph.cypher",
        "entity_neighbourhood.cypher",
        "entity_timeline.cypher",
        "superseded_facts.cypher",
    }


def test_browser_queries_run(memory: Memory, sample_user: str) -> None:
    """The saved queries are real Cypher against graphmem's model, with their parameters."""
    folder = resource_dir("cypher") / "browser"
    params = {"user_id": sample_user, "name": "Alice"}
    counts = {
        p.stem: len(memory.store.read(p.read_text(), params)) for p in folder.glob("*.cypher")
    }
    assert counts["user_graph"] > 0 and counts["entity_timeline"] == 5
    assert counts["entity_neighbourhood"] > 0 and counts["superseded_facts"] == 0


def test_serve_refuses_to_start_without_api_keys(env: dict[str, str]) -> None:
    result = run({**env, "GRAPHMEM_API_KEYS": ""}, "serve")
    assert result.exit_code == 1
    assert "no API keys configured" in result.output and "--insecure-no-auth" in result.output


def test_failed_extraction_then_reextract(
    env: dict[str, str], user_id: str, scripted_llm: Any
) -> None:
    llm_env = {**env, "GRAPHMEM_LLM_BASE_URL": scripted_llm.url}
    scripted_llm.script(["no JSON here", "still no JSON"])  # the answer and its repair
    failed = run(llm_env, "add", "I play the oboe in a brass band.", "--user", user_id)
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    episode_id = re.search(r"episode (\S+) kept", failed.output).group(1)  # type: ignore[union-attr]

    extraction = {
        "facts": [{"id": 0, "text": "The user plays the oboe", "entities": ["oboe"]}],
        "entities": [{"name": "oboe", "type": "Instrument"}],
        "relations": [],
    }
    scripted_llm.script([json.dumps(extraction)])
    again = run(llm_env, "reextract", episode_id, "--json")
    assert again.exit_code == 0, again.output
    assert [r["memory"] for r in json.loads(again.stdout)["results"]] == ["The user plays the oboe"]
    assert run(llm_env, "reextract", "no-such-episode").exit_code == 3
