"""Shaping what is remembered: instructions, domain types and custom prompts, through the
real write path (Neo4j, embedder) with the LLM scripted at the HTTP boundary."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from graphmem.cli import cli
from graphmem.config import load_settings
from graphmem.domain import DomainSchema
from graphmem.errors import ConfigError, ExtractionError
from graphmem.extract import extraction_schema
from graphmem.memory import Memory
from graphmem.prompts import digest, load_prompt, load_prompt_file, schema_fields
from graphmem.resolve import ResolutionAnswer, parse_resolution
from graphmem.resources import resource_dir
from graphmem.shaping import Shaping
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import RecordedRequest, ScriptedLLMServer

INSTRUCTIONS = "Remember dietary preferences and allergies; ignore small talk about weather."
BERLIN = {
    "facts": [{"id": 1, "text": "User lives in Berlin", "entities": ["User", "Berlin"]}],
    "entities": [{"name": "User", "type": "Person"}, {"name": "Berlin", "type": "City"}],
    "relations": [{"source": "User", "type": "LIVES_IN", "target": "Berlin", "fact": 1}],
}
AMSTERDAM = {
    "facts": [{"id": 1, "text": "User lives in Amsterdam", "entities": ["User", "Amsterdam"]}],
    "entities": [{"name": "User", "type": "Person"}, {"name": "Amsterdam", "type": "City"}],
    "relations": [{"source": "User", "type": "LIVES_IN", "target": "Amsterdam", "fact": 1}],
}
# Types outside the domain below, and what each must become.
HOUSEHOLD = {
    "facts": [
        {"id": 1, "text": "User lives in Lisbon", "entities": ["User", "Lisbon"]},
        {"id": 2, "text": "Tom is User's husband", "entities": ["Tom", "User"]},
        {"id": 3, "text": "User is allergic to peanuts", "entities": ["User", "Peanuts"]},
        {"id": 4, "text": "User owns a dog named Rex", "entities": ["User", "Rex"]},
    ],
    "entities": [
        {"name": "User", "type": "Person"},
        {"name": "Lisbon", "type": "City"},
        {"name": "Tom", "type": "person"},
        {"name": "Peanuts", "type": "Food"},
        {"name": "Rex", "type": "Pet"},
    ],
    "relations": [
        {"source": "User", "type": "lives in", "target": "Lisbon", "fact": 1},
        {"source": "Tom", "type": "HUSBAND_OF", "target": "User", "fact": 2},
        {"source": "User", "type": "IS_ALLERGIC_TO", "target": "Peanuts", "fact": 3},
        {"source": "User", "type": "OWNS", "target": "Rex", "fact": 4},
    ],
}
DOMAIN_TOML = """
[entity_types]
Person = "A human being: the user, family, friends, colleagues"
Place = "A city, country, address or other location"
Dish = "A food, meal or ingredient the user eats or cooks"

[relation_types]
LIVES_IN = "The person lives in the place"
MARRIED_TO = "The two people are spouses"
ALLERGIC_TO = "The person reacts badly to the food"
"""


def shaped(memory: Memory, server: ScriptedLLMServer, **settings: Any) -> Memory:
    """A Memory on the scripted LLM (sharing the session's store and embedder), shaped."""
    domain = settings.pop("domain", None)
    base = memory_on_scripted_llm(memory, server)
    updated = base.settings.model_copy(update=settings)
    return Memory(updated, store=memory.store, embedder=memory.embedder, domain=domain)


def stored(memory: Memory, user_id: str) -> dict[str, Any]:
    """What the scope holds in Neo4j: entity labels, relation types, prompt versions."""
    labels = {
        r["name"]: r["labels"]
        for r in memory.store.read(
            "MATCH (e:Entity {user_id: $u}) RETURN e.name AS name, "
            "[l IN labels(e) WHERE l <> 'Entity'] AS labels",
            {"u": user_id},
        )
    }
    relations = {
        (r["source"], r["type"], r["target"])
        for r in memory.store.read(
            "MATCH (a:Entity {user_id: $u})-[r]->(b:Entity) "
            "RETURN a.name AS source, type(r) AS type, b.name AS target",
            {"u": user_id},
        )
    }
    versions = {
        r["v"]
        for r in memory.store.read(
            "MATCH (f:Fact {user_id: $u}) RETURN f.prompt_version AS v", {"u": user_id}
        )
    }
    return {"labels": labels, "relations": relations, "versions": versions}


def system_of(request: RecordedRequest) -> str:
    return request.messages[0]["content"]


# ---- instructions ------------------------------------------------------------------------


@pytest.fixture
def isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("GRAPHMEM_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("GRAPHMEM_CONFIG", str(config))
    return config


def test_instructions_come_from_file_env_code_and_mem0s_names(
    isolated_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolated_config.write_text(
        'custom_fact_extraction_prompt = "From the file."\n'
        'custom_update_memory_prompt = "Resolve from the file."\n'
        'domain_fallback = "generic"\n'
    )
    from_file = load_settings()
    assert from_file.extraction_instructions == "From the file."
    assert from_file.resolution_instructions == "Resolve from the file."
    assert from_file.domain_fallback == "generic"

    monkeypatch.setenv("GRAPHMEM_EXTRACTION_INSTRUCTIONS", "From the environment.")
    assert load_settings().extraction_instructions == "From the environment."
    # mem0's name in code beats graphmem's name in the environment, as any code setting does.
    in_code = load_settings(custom_fact_extraction_prompt="From code.")
    assert in_code.extraction_instructions == "From code."
    assert load_settings(extraction_instructions="   ").extraction_instructions is None


def test_both_names_at_odds_are_a_config_error(isolated_config: Path) -> None:
    with pytest.raises(ConfigError, match="custom_fact_extraction_prompt"):
        load_settings(custom_fact_extraction_prompt="a", extraction_instructions="b")
    isolated_config.write_text('domain_fallback = "closest"\n')
    with pytest.raises(ConfigError, match="domain_fallback"):
        load_settings()


def test_instructions_reach_the_extraction_prompt_and_its_version(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = shaped(memory, scripted_llm, extraction_instructions=INSTRUCTIONS)
    scripted_llm.script([json.dumps(BERLIN)])
    mem.add("I live in Berlin. Lovely weather today!", user_id=user_id)

    system = system_of(scripted_llm.chat_requests[0])
    assert INSTRUCTIONS in system
    # Added after the built-in prompt, whose JSON contract (all before its first
    # placeholder) is untouched.
    contract = load_prompt("extraction").text.split("{{")[0]
    assert '"relations"' in contract and system.startswith(contract)
    assert system.index("Message time:") < system.index(INSTRUCTIONS)
    version = mem.shaping.extraction.version
    assert re.fullmatch(r"extraction\.v1\+instructions\.[0-9a-f]{8}", version)
    assert stored(mem, user_id)["versions"] == {version}


def test_resolution_instructions_reach_the_resolution_prompt(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    guidance = "A move to another city always CONTRADICTS the old home."
    mem = shaped(memory, scripted_llm, resolution_instructions=guidance)
    scripted_llm.script([json.dumps(BERLIN)])
    mem.add("I live in Berlin.", user_id=user_id)
    # The same source and relation type, another target: a rival the resolution call judges.
    scripted_llm.script(
        [json.dumps(AMSTERDAM), json.dumps({"entities": [], "facts": [{"id": 2, "event": "ADD"}]})]
    )
    mem.add("I live in Amsterdam now.", user_id=user_id)

    extraction, resolution = scripted_llm.chat_requests[1:]
    assert system_of(resolution).startswith(load_prompt("resolution").text.rstrip())
    assert guidance in system_of(resolution)
    assert guidance not in system_of(extraction)


# ---- domain types --------------------------------------------------------------------------


@pytest.fixture
def domain_file(tmp_path: Path) -> Path:
    path = tmp_path / "domain.toml"
    path.write_text(DOMAIN_TOML, encoding="utf-8")
    return path


def test_a_domain_schema_constrains_the_types_written(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, domain_file: Path
) -> None:
    mem = shaped(memory, scripted_llm, domain_schema_path=domain_file)
    scripted_llm.script([json.dumps(HOUSEHOLD)])
    mem.add("I live in Lisbon with Tom, my husband, and our dog Rex. No peanuts!", user_id=user_id)

    system = system_of(scripted_llm.chat_requests[0])
    assert "- Place: A city, country, address or other location" in system
    assert "- MARRIED_TO: The two people are spouses" in system
    graph = stored(mem, user_id)
    assert graph["labels"] == {
        user_id: ["Person"],
        "Lisbon": ["Place"],  # City: nearest by meaning
        "Tom": ["Person"],  # person: the sanitiser, then a declared type
        "Peanuts": ["Dish"],  # Food: nearest
        "Rex": ["Thing"],  # Pet: nothing near enough, so the generic type
    }
    assert graph["relations"] == {
        (user_id, "LIVES_IN", "Lisbon"),  # "lives in": declared, loosely matched
        ("Tom", "MARRIED_TO", user_id),  # HUSBAND_OF: nearest
        (user_id, "ALLERGIC_TO", "Peanuts"),  # IS_ALLERGIC_TO: nearest
        (user_id, "RELATED_TO", "Rex"),  # OWNS: nothing near enough
    }
    assert graph["versions"] == {mem.shaping.extraction.version}
    assert "+types." in mem.shaping.extraction.version


def test_the_generic_fallback_maps_every_undeclared_type_to_thing_and_related_to(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, domain_file: Path
) -> None:
    mem = shaped(memory, scripted_llm, domain_schema_path=domain_file, domain_fallback="generic")
    scripted_llm.script([json.dumps(HOUSEHOLD)])
    mem.add("I live in Lisbon with Tom, my husband, and our dog Rex. No peanuts!", user_id=user_id)

    assert "use Thing for an entity and RELATED_TO" in system_of(scripted_llm.chat_requests[0])
    graph = stored(mem, user_id)
    assert {name: labels[0] for name, labels in graph["labels"].items()} == {
        user_id: "Person",
        "Lisbon": "Thing",
        "Tom": "Person",
        "Peanuts": "Thing",
        "Rex": "Thing",
    }
    assert {kind for _, kind, _ in graph["relations"]} == {"LIVES_IN", "RELATED_TO"}


def test_pre_extracted_facts_are_held_to_the_domain_too(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, domain_file: Path
) -> None:
    mem = shaped(memory, scripted_llm, domain_schema_path=domain_file)
    mem.add_facts(
        [
            {
                "text": "Ana is married to Rui",
                "entities": [{"name": "Ana", "type": "Person"}, {"name": "Rui", "type": "Human"}],
                "relations": [{"source": "Ana", "relation": "WIFE_OF", "target": "Rui"}],
            }
        ],
        user_id=user_id,
    )
    assert scripted_llm.chat_requests == []
    graph = stored(mem, user_id)
    assert graph["relations"] == {("Ana", "MARRIED_TO", "Rui")}
    assert graph["labels"] == {"Ana": ["Person"], "Rui": ["Person"]}


class Person(BaseModel):
    """A human being the user knows."""


class Restaurant(BaseModel):
    """A place to eat out."""


class WorksAt(BaseModel):
    """The person is employed by the organisation."""


def test_a_domain_from_pydantic_models_and_its_descriptions_for_recall(
    memory: Memory, scripted_llm: ScriptedLLMServer
) -> None:
    domain = DomainSchema.from_models(
        entity_types=[Person, Restaurant],
        relation_types={"LIKES": "The person enjoys it", **{"WORKS_AT": WorksAt}},
    )
    assert domain.entity_descriptions() == {
        "Person": "A human being the user knows.",
        "Restaurant": "A place to eat out.",
    }
    assert DomainSchema.from_models(relation_types=[WorksAt]).relation_descriptions() == {
        "WORKS_AT": "The person is employed by the organisation."
    }
    mem = shaped(memory, scripted_llm, domain=domain)
    # What recall's relation matching reads (the open domain gives {}).
    assert mem.domain.relation_descriptions() == {
        "LIKES": "The person enjoys it",
        "WORKS_AT": "The person is employed by the organisation.",
    }
    assert memory.domain.relation_descriptions() == {}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.toml", '[entity_types]\n"programming language" = ""\n', "ProgrammingLanguage"),
        ("bad.toml", '[relation_types]\nlives_in = ""\n', "'LIVES_IN'"),
        ("bad.toml", '[entity_types]\nFact = "clashes with graphmem"\n', "'Fact'"),
        ("bad.toml", '[entity_type]\nPerson = ""\n', "entity_type"),
        ("bad.json", '{"entity_types": {"Person": 3}}', "entity_types"),
        ("bad.json", '{"entity_types": ', "not valid JSON"),
        ("bad.yaml", "entity_types: []", ".toml or .json"),
    ],
)
def test_a_bad_domain_file_is_refused_with_what_is_wrong(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="domain schema") as refused:
        DomainSchema.from_file(path)
    assert message in str(refused.value)


# ---- custom prompts ------------------------------------------------------------------------


def built_in_text(name: str) -> str:
    return (resource_dir("prompts") / f"{load_prompt(name).version}.md").read_text()


def test_the_built_in_prompts_keep_their_own_contract(tmp_path: Path) -> None:
    """A copy of each built-in prompt passes the check a custom one must pass."""
    builtin = Shaping.builtin()
    for prompt, answer in [
        (builtin.extraction, extraction_schema()),
        (builtin.resolution, ResolutionAnswer.model_json_schema()),
    ]:
        assert len(schema_fields(answer)) >= 6
        path = tmp_path / f"{prompt.name}.md"
        path.write_text(prompt.text, encoding="utf-8")
        copy = load_prompt_file(prompt.name, path, answer_schema=answer)
        assert copy.version == f"{prompt.name}.custom.{digest(prompt.text)}"


def test_a_custom_prompt_is_used_and_named_by_its_hash(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, tmp_path: Path
) -> None:
    text = built_in_text("extraction").replace(
        "You extract long-term memory", "You extract long-term memory for a cooking assistant"
    )
    path = tmp_path / "my-extraction.md"
    path.write_text(text, encoding="utf-8")
    mem = shaped(memory, scripted_llm, extraction_prompt_path=path)
    scripted_llm.script([json.dumps(BERLIN)])
    mem.add("I live in Berlin.", user_id=user_id)

    system = system_of(scripted_llm.chat_requests[0])
    assert system.startswith("You extract long-term memory for a cooking assistant")
    assert "{{" not in system  # placeholders filled
    expected = f"extraction.custom.{digest(text)}"
    assert mem.shaping.extraction.version == expected
    assert stored(mem, user_id)["versions"] == {expected}


def test_a_custom_prompts_answer_in_another_shape_fails_loudly(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "my-extraction.md"
    path.write_text(built_in_text("extraction"), encoding="utf-8")
    mem = shaped(memory, scripted_llm, extraction_prompt_path=path)
    wrong = json.dumps({"memories": ["User lives in Berlin"]})
    scripted_llm.script([wrong, wrong])  # the answer, then the repair turn's
    with pytest.raises(ExtractionError, match="none of the fields") as failed:
        mem.add("I live in Berlin.", user_id=user_id)
    episode = mem.store.read(
        "MATCH (ep:Episode {id: $id}) RETURN ep.status AS status", {"id": failed.value.episode_id}
    )
    assert [r["status"] for r in episode] == ["failed"]  # kept for reextract
    assert stored(mem, user_id)["versions"] == set()


def test_a_resolution_answer_in_another_shape_is_unusable_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert parse_resolution('{"duplicates": [[1, 2]]}') is None
    assert "neither entities nor facts" in caplog.text
    assert parse_resolution('{"facts": []}') == ResolutionAnswer()


def _broken(text: str) -> list[tuple[str, str, str]]:
    return [
        (
            "missing placeholder",
            text.replace("{{message_time}}", "today"),
            "lacks the placeholder(s) {{message_time}}",
        ),
        (
            "unknown placeholder",
            text + "\nSpeaker: {{speaker}}\n",
            "unknown placeholder(s) {{speaker}}",
        ),
        (
            "other field names",
            text.replace('"relations"', '"links"').replace('"fact"', '"evidence"'),
            'never asks for the answer field(s) "fact", "relations"',
        ),
        ("empty", "  \n", "is empty"),
    ]


@pytest.mark.parametrize("case", range(4), ids=[c[0] for c in _broken("")])
def test_a_broken_custom_prompt_is_refused_at_start_up(
    memory: Memory, scripted_llm: ScriptedLLMServer, tmp_path: Path, case: int
) -> None:
    _, text, message = _broken(built_in_text("extraction"))[case]
    path = tmp_path / "broken.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        shaped(memory, scripted_llm, extraction_prompt_path=path)
    assert f"custom extraction prompt {path} " in str(refused.value)
    assert message in str(refused.value)
    assert scripted_llm.requests == []  # refused before anything ran


def test_a_missing_prompt_file_and_a_broken_resolution_prompt_are_refused(
    memory: Memory, scripted_llm: ScriptedLLMServer, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        shaped(memory, scripted_llm, resolution_prompt_path=tmp_path / "absent.md")
    path = tmp_path / "resolution.md"
    path.write_text(built_in_text("resolution").replace('"same_as"', '"duplicate_of"'))
    with pytest.raises(ConfigError, match='"same_as"'):
        shaped(memory, scripted_llm, resolution_prompt_path=path)


def test_doctor_names_the_prompts_and_refuses_a_broken_one(
    graphmem_env: dict[str, str], tmp_path: Path, domain_file: Path
) -> None:
    env = {
        **graphmem_env,
        "GRAPHMEM_LLM_BASE_URL": "http://127.0.0.1:9",  # unreachable: its own check fails
        "GRAPHMEM_LLM_MAX_RETRIES": "0",
        "GRAPHMEM_EXTRACTION_INSTRUCTIONS": INSTRUCTIONS,
        "GRAPHMEM_DOMAIN_SCHEMA_PATH": str(domain_file),
    }
    result = CliRunner().invoke(cli, ["doctor", "--json"], env=env)
    prompts = {c["name"]: c for c in json.loads(result.stdout)}["prompts"]
    assert prompts["outcome"] == "ok"
    assert "extraction.v1+instructions." in prompts["detail"]
    assert "3 entity types, 3 relation types" in prompts["detail"]

    broken = tmp_path / "broken.md"
    broken.write_text("Extract facts as a list of strings.", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["doctor"], env={**env, "GRAPHMEM_EXTRACTION_PROMPT_PATH": str(broken)}
    )
    assert result.exit_code == 1
    assert "fail  prompts" in result.stdout and "{{message_time}}" in result.stdout
