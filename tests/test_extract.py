"""Extraction: one call through the real ollama client, parse, validate, one repair turn."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from graphmem.errors import ExtractionError, LLMError
from graphmem.extract import Extraction, extract, extraction_schema, parse_extraction
from graphmem.llm.ollama import OllamaLLM
from graphmem.llm.retry import RetryPolicy
from graphmem.memory import Memory
from graphmem.models import Message
from graphmem.prompts import load_prompt
from tests.fixtures.conversations.responder import memory_on_scripted_llm
from tests.scripted_llm import ScriptedError, ScriptedLLMServer

WHEN = datetime(2026, 3, 14, 10, 30, tzinfo=timezone.utc)
TURNS = [
    Message(role="user", content="I started at Globex last Monday."),
    Message(role="assistant", content="Congratulations!"),
]
GOOD = {
    "facts": [
        {
            "id": 1,
            "text": "User works at Globex",
            "entities": ["User", "Globex"],
            "valid_from": "2026-03-09",
        }
    ],
    "entities": [{"name": "User", "type": "Person"}, {"name": "Globex", "type": "Organization"}],
    "relations": [{"source": "User", "type": "WORKS_AT", "target": "Globex", "fact": 1}],
}


@pytest.fixture
def llm(scripted_llm: ScriptedLLMServer) -> OllamaLLM:
    return OllamaLLM("qwen2.5:7b", host=scripted_llm.url, retry=RetryPolicy(max_retries=0))


def test_one_call_carries_prompt_time_transcript_and_schema(
    llm: OllamaLLM, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script([json.dumps(GOOD)])
    result = extract(llm, TURNS, message_time=WHEN)
    assert len(scripted_llm.chat_requests) == 1
    request = scripted_llm.chat_requests[0]
    system, user = request.messages
    assert system["role"] == "system" and system["content"].startswith("You extract")
    assert "2026-03-14T10:30:00+00:00" in system["content"]
    assert 'entity named exactly\n   "User"' in system["content"]
    assert "user: I started at Globex last Monday." in user["content"]
    assert "assistant: Congratulations!" in user["content"]
    assert request.schema == extraction_schema()
    assert result.prompt_version == load_prompt("extraction").version == "extraction.v1"
    assert result.model == "qwen2.5:7b" and len(result.completions) == 1
    fact = result.extraction.facts[0]
    assert fact.valid_from == datetime(2026, 3, 9, tzinfo=timezone.utc)
    assert result.extraction.relations[0].fact == 1


def test_the_schema_describes_facts_entities_and_relations() -> None:
    schema = extraction_schema()
    assert schema["title"] == "Extraction"
    assert set(schema["properties"]) == {"facts", "entities", "relations"}
    relation = schema["$defs"]["ExtractedRelation"]["properties"]
    assert {"source", "type", "target", "fact", "valid_from", "valid_to"} <= set(relation)


def test_a_bad_answer_gets_one_repair_turn(llm: OllamaLLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script(['{"facts": [{"text": "User works at Globex"}]}', json.dumps(GOOD)])
    result = extract(llm, TURNS, message_time=WHEN)
    assert len(result.completions) == 2
    repair = scripted_llm.chat_requests[1].messages
    assert repair[2] == {
        "role": "assistant",
        "content": '{"facts": [{"text": "User works at Globex"}]}',
    }
    assert "facts.0.id: Field required" in repair[3]["content"]
    assert result.extraction.facts[0].text == "User works at Globex"


def test_two_bad_answers_are_an_extraction_error(
    llm: OllamaLLM, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(["no json at all", '{"facts": "nope"}'])
    with pytest.raises(ExtractionError, match="unusable after one repair"):
        extract(llm, TURNS, message_time=WHEN)
    assert len(scripted_llm.chat_requests) == 2


def test_common_wrong_field_names_are_mapped_without_a_repair() -> None:
    extraction = parse_extraction(
        '{"facts": [{"id": "1", "memory": "User likes tea"}],'
        ' "entities": [{"entity": "Tea", "kind": "Drink"}],'
        ' "relations": [{"subject": "User", "relationship": "likes", "object": "Tea",'
        ' "fact_id": 1}]}'
    )
    assert extraction.facts[0].text == "User likes tea"
    assert (extraction.entities[0].name, extraction.entities[0].type) == ("Tea", "Drink")
    relation = extraction.relations[0]
    assert (relation.source, relation.type, relation.target, relation.fact) == (
        "User",
        "likes",
        "Tea",
        1,
    )


def test_garbled_dates_are_dropped_not_fatal() -> None:
    extraction = Extraction.model_validate(
        {"facts": [{"id": 1, "text": "x", "valid_from": "last spring", "valid_to": "2026-05"}]}
    )
    assert extraction.facts[0].valid_from is None
    assert extraction.facts[0].valid_to is None
    # Dates Neo4j cannot hold: an offset past 18 hours, a year past 9999 once in UTC.
    unstorable = Extraction.model_validate(
        {
            "facts": [
                {
                    "id": 1,
                    "text": "x",
                    "valid_from": "2024-01-01T00:00:00-23:19",
                    "valid_to": "9999-12-31T23:59:59-14:00",
                }
            ]
        }
    )
    assert (unstorable.facts[0].valid_from, unstorable.facts[0].valid_to) == (None, None)


def test_relations_must_rest_on_a_listed_fact() -> None:
    with pytest.raises(ExtractionError, match=r"fact ids \[2\]"):
        parse_extraction(
            '{"facts": [{"id": 1, "text": "a"}],'
            ' "relations": [{"source": "A", "type": "T", "target": "B", "fact": 2}]}'
        )


def test_an_answer_in_another_shape_is_an_error_not_an_empty_extraction() -> None:
    # mem0's format (a custom prompt's, say) must not read as "nothing to remember".
    with pytest.raises(ExtractionError, match=r"none of the fields .* only \['memories'\]"):
        parse_extraction('{"memories": ["User lives in Berlin"]}')
    assert parse_extraction("{}") == Extraction()  # nothing at all is still nothing
    assert parse_extraction('{"facts": [], "note": "x"}') == Extraction()


def test_an_unreachable_llm_keeps_the_episode_as_failed(
    memory: Memory, scripted_llm: ScriptedLLMServer, user_id: str
) -> None:
    mem = memory_on_scripted_llm(memory, scripted_llm)
    scripted_llm.script([ScriptedError(500, "model crashed")])
    with pytest.raises(LLMError):
        mem.add("I live in Berlin.", user_id=user_id)
    episodes = memory.store.read(
        "MATCH (ep:Episode {user_id: $uid}) RETURN ep.status AS s, ep.error AS e",
        {"uid": user_id},
    )
    assert episodes[0]["s"] == "failed" and "model crashed" in episodes[0]["e"]
