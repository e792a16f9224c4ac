"""Export -> import -> export, backup and restore (issue 12, finding 5), through the CLI on
the real Neo4j: what comes back in is what went out, up to ids and scope."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from graphmem.memory import Memory
from graphmem.models import SELF_KEY, Scope, entity_key
from graphmem.store.cypher import query
from tests.cli_runner import cli_env, run
from tests.fact_llm import FactsLLM
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import ScriptedLLMServer
from tests.test_relational_recall import fact
from tests.test_timelines import BOB_MUNICH, HOMES, MOVE

SCOPE_PROPERTIES = {"id", "user_id", "agent_id", "run_id"}
ID_PROPERTIES = {"superseded_by", "target_id", "episode_id", "fact_id"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def history_user(memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str) -> Iterator[str]:
    """A scope with superseded history, metadata, an edited memory and its change log."""
    scripted_llm.responder = FactsLLM(HOMES, MOVE)
    mem = memory_on_scripted_llm(memory, scripted_llm)
    mem.add("I live in Berlin.", user_id=user_id, timestamp="2024-06-03", metadata={"room": "r1"})
    mem.add(
        "I moved from Berlin to Amsterdam last spring.", user_id=user_id, timestamp="2024-09-01"
    )
    bob = {**BOB_MUNICH, "metadata": {"source": "notes", "tags": ["a", "b"]}}
    fact_id = mem.add_facts([bob], user_id=user_id)["results"][0]["id"]
    mem.update(fact_id, "Bob lives in Munich, Bavaria.", user_id=user_id, infer=False)
    yield user_id


@pytest.fixture
def copies(memory: Memory, user_id: str) -> Iterator[list[str]]:
    made = [f"{user_id}-copy{n}" for n in range(2)]
    yield made
    for other in made:
        memory.reset(user_id=other)


def canonical(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with every id replaced by what the node is, and scope ids left out
    (also where the self entity is named after its user: a copy's self is the target's)."""
    nodes = {n["id"]: n for n in document["nodes"]}

    def name(node_id: str) -> str:
        node = nodes[node_id]
        kind = next(k for k in ("Entity", "Fact", "Episode", "Change") if k in node["labels"])
        if kind == "Change":
            return f"Change:{name(node['target_id'])}:{node['op']}:{node.get('new')}"
        return f"{kind}:" + str(node.get("key") or node.get("text") or node.get("messages"))

    def plain(props: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        user = props.get("user_id")
        for key, value in props.items():
            if key in SCOPE_PROPERTIES or key in {"source", "target"}:
                continue
            if props.get("key") == SELF_KEY and user and key in {"name", "aliases"}:
                value = _user_as_placeholder(key, value, user)
            if key in ID_PROPERTIES and value in nodes:
                value = name(value)
            elif isinstance(value, str):
                value = UUID.sub(lambda m: name(m[0]) if m[0] in nodes else m[0], value)
            out[key] = value
        return out

    return {
        "nodes": sorted(json.dumps(plain(n), sort_keys=True) for n in document["nodes"]),
        "edges": sorted(
            json.dumps([name(e["source"]), plain(e), name(e["target"])], sort_keys=True)
            for e in document["edges"]
        ),
    }


def _user_as_placeholder(key: str, value: Any, user: str) -> Any:
    """The self entity's name or aliases with its user's id as <user>."""
    if key == "name":
        return "<user>" if value == user else value
    return sorted("<user>" if alias == entity_key(user) else alias for alias in value)


def export(env: dict[str, str], user: str, path: Path, *more: str) -> dict[str, Any]:
    result = run(env, "export", "--user", user, "-o", str(path), *more)
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text()) if not more else {}


def test_export_imports_back_into_another_scope_equal_up_to_ids(
    memory: Memory, history_user: str, copies: list[str], settings: Any, tmp_path: Path
) -> None:
    env = cli_env(settings, tmp_path)
    first = export(env, history_user, tmp_path / "a.json")
    kinds = [label for n in first["nodes"] for label in n["labels"]]
    assert {"Entity", "Fact", "Episode", "Change"} <= set(kinds)
    assert any(e["type"] == "WAS" for e in first["edges"])  # the retired LIVES_IN Berlin

    imported = run(env, "import", str(tmp_path / "a.json"), "--user", copies[0], "--json")
    assert imported.exit_code == 0, imported.output
    counts = json.loads(imported.stdout)
    assert counts["scopes"] == 1 and counts["facts"] == 3 and counts["changes"] >= 5
    second = export(env, copies[0], tmp_path / "b.json")
    assert canonical(second) == canonical(first)
    assert {n["id"] for n in second["nodes"]}.isdisjoint({n["id"] for n in first["nodes"]})
    # The copy's self is its own user's: named and known by the target's id. Named by the
    # source's, a mention of that id in the copy would resolve to the copy's own user.
    (own,) = [n for n in second["nodes"] if n.get("key") == SELF_KEY]
    assert own["name"] == copies[0] and own["aliases"] == [entity_key(copies[0])]
    assert memory.entity_history(history_user, user_id=copies[0]) is None

    # The copy is a working memory: history, search and the self resolve there too.
    timeline = memory.entity_history("me", user_id=copies[0])
    assert timeline is not None
    assert [r["target"] for r in timeline["relations"] if r["state"] == "current"] == ["Amsterdam"]
    found = memory.search("Where does Bob live?", user_id=copies[0], top_k=1)["results"]
    assert found[0]["memory"] == "Bob lives in Munich, Bavaria."
    assert found[0]["metadata"] == {"source": "notes", "tags": ["a", "b"]}

    # GraphML, the other export format, comes back the same way.
    export(env, history_user, tmp_path / "a.graphml", "--format", "graphml")
    again = run(env, "import", str(tmp_path / "a.graphml"), "--user", copies[1])
    assert again.exit_code == 0, again.output
    assert canonical(export(env, copies[1], tmp_path / "c.json")) == canonical(first)


def test_backup_and_restore_a_scope_in_place(
    memory: Memory, history_user: str, settings: Any, tmp_path: Path
) -> None:
    env = cli_env(settings, tmp_path)
    saved = tmp_path / "backup.json"
    done = run(env, "backup", "--user", history_user, "-o", str(saved))
    assert done.exit_code == 0, done.output
    before = json.loads(saved.read_text())
    memory.reset(user_id=history_user)
    assert memory.get_all(user_id=history_user)["results"] == []

    for _ in range(2):  # a second restore writes nothing new
        restored = run(env, "restore", str(saved))
        assert restored.exit_code == 0, restored.output
        assert restored.stdout.startswith("restored 3 facts")
        after = export(env, history_user, tmp_path / "after.json")
        assert sorted(map(_dumped, after["nodes"]), key=str) == sorted(
            map(_dumped, before["nodes"]), key=str
        )  # ids kept: restored where it came from
        assert len(after["edges"]) == len(before["edges"])

    bad = run(env, "restore", str(tmp_path / "after.json"), "--user", "")
    assert bad.exit_code == 2  # an empty scope id is a usage error
    not_export = tmp_path / "x.jsonl"
    not_export.write_text('{"messages": []}\n')
    refused = run(env, "restore", str(not_export))
    assert refused.exit_code == 2 and "not a graphmem export" in refused.output


def _dumped(node: Mapping[str, Any]) -> str:
    return json.dumps(node, sort_keys=True)


def vocabulary(memory: Memory, user_id: str) -> dict[str, list[str]]:
    """The scope's RelationWords: each relation type's words, sorted (a rebuild reads the
    facts of one add in id order, not in the order the add wrote them)."""
    rows = memory.store.read(query("recall/relation_words"), Scope(user_id=user_id).params())
    return {r["type"]: sorted(r["words"]) for r in rows}


def test_a_copy_and_an_upgraded_scope_get_the_relation_vocabulary_their_facts_give(
    memory: Memory, user_id: str, copies: list[str], settings: Any, tmp_path: Path
) -> None:
    """Recall matches a question's words against what the scope's facts call each relation
    type ("boss" for REPORTS_TO). write/restore writes relations, not those words: a
    restored or copied scope had none, and neither had a scope an older graphmem wrote.
    A restore rebuilds them from the scope's graph; `graphmem upgrade` fills in the rest."""
    memory.add_facts(
        [
            fact("Alice Moreau's boss is Bruno Keller.", "Alice Moreau", "REPORTS_TO",
                 "Bruno Keller"),
            fact("Tim Roy's boss is Dana Kim.", "Tim Roy", "REPORTS_TO", "Dana Kim"),
            fact("Bruno Keller lives in Ghent.", "Bruno Keller", "LIVES_IN", "Ghent"),
        ],
        user_id=user_id,
    )  # fmt: skip
    written = vocabulary(memory, user_id)
    assert written["REPORTS_TO"] == ["boss", "boss", "|", "|"]
    assert written["LIVES_IN"] == ["lives", "|"]

    memory.restore(memory.export_graph(user_id=user_id), user_id=copies[0])
    assert vocabulary(memory, copies[0]) == written
    memory.restore(memory.export_graph(user_id=user_id), user_id=copies[0])
    assert vocabulary(memory, copies[0]) == written  # rebuilt, not appended to

    # A scope as an older graphmem left it: doctor names the fix, upgrade makes it.
    memory.store.driver.execute_query(
        "MATCH (v:RelationWords {scope_key: $key}) DELETE v", {"key": Scope(user_id=copies[0]).key}
    )
    env = cli_env(settings, tmp_path)
    doctor = {c["name"]: c for c in json.loads(run(env, "doctor", "--json").stdout)}
    assert doctor["vocabulary"]["outcome"] == "warn"
    assert "graphmem upgrade" in doctor["vocabulary"]["detail"]
    upgraded = run(env, "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert vocabulary(memory, copies[0]) == written
    assert "done: 0 scopes" in run(env, "upgrade").output
