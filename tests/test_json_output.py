"""parse_json_object against the ugly answers real local models give."""

from __future__ import annotations

from typing import Any

import pytest

from graphmem.errors import ExtractionError, GraphMemError
from graphmem.llm.json_output import JSONParseError, parse_json_object
from tests.scripted_llm import fixture_text

ALICE = {
    "facts": [{"text": "Alice lives in Berlin"}],
    "entities": [{"name": "Alice", "type": "Person"}, {"name": "Berlin", "type": "Place"}],
    "relations": [{"source": "Alice", "type": "LIVES_IN", "target": "Berlin", "fact": 0}],
}
ALICE_ONLY_FACT = {"facts": [{"text": "Alice lives in Berlin"}], "entities": [], "relations": []}


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("clean_object", ALICE),
        ("fenced_json", ALICE),
        ("think_then_fenced_json", ALICE),
        ("template_opened_think", ALICE_ONLY_FACT),
        ("think_never_closed", ALICE_ONLY_FACT),
        ("wrapped_in_list", ALICE_ONLY_FACT),
        ("bom", ALICE_ONLY_FACT),
        (
            "prose_and_trailing_commas",
            {
                "facts": [{"text": "Alice lives in Berlin"}],
                "entities": [{"name": "Alice", "type": "Person"}],
                "relations": [],
            },
        ),
        (
            "strings_with_brackets",
            {
                "facts": [{"text": 'Alice wrote "use {x} and [y]" in her notes }]'}],
                "entities": [{"name": "C:\\Users\\alice", "type": "Path"}],
                "relations": [],
            },
        ),
    ],
)
def test_fixture_answers_parse(fixture: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(fixture_text(fixture)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('"{\\"a\\": 1, \\"b\\": [2]}"', {"a": 1, "b": [2]}, id="json-in-a-string"),
        pytest.param('{"a": "line one\nline\ttwo"}', {"a": "line one\nline\ttwo"}, id="raw-ctrl"),
        pytest.param('```JSON\r\n{"a": 1}\r\n```\r\n', {"a": 1}, id="crlf-upper-fence"),
        pytest.param('```json\n{"a": {"b": 2}}', {"a": {"b": 2}}, id="fence-never-closed"),
        pytest.param(
            '```json\n{"a": oops}\n```\nFixed:\n```json\n{"a": {"b": 2}}',
            {"a": {"b": 2}},
            id="bad-block-then-unclosed-fence",
        ),
        pytest.param('{"a": 1}\n{"a": 2}', {"a": 1}, id="two-objects-first-wins"),
        pytest.param('See [1] and [note]: {"a": 1}', {"a": 1}, id="brackets-in-prose"),
        pytest.param(
            '{"a": "x,]", "b": [1, 2, ], }', {"a": "x,]", "b": [1, 2]}, id="comma-in-string-kept"
        ),
        pytest.param('<THINK>{"draft": 1}</THINK>{"a": 1}', {"a": 1}, id="upper-think-tags"),
        pytest.param('<thinking>hmm</thinking>\n{"a": 1}', {"a": 1}, id="thinking-tags"),
        pytest.param('Result: [{"a": 1},]', {"a": 1}, id="list-with-trailing-comma"),
        pytest.param('{"a": "\\u00e9t\\u00e9", "b": null}', {"a": "été", "b": None}, id="escapes"),
        pytest.param(
            '  \n{"nested": {"deep": [{"x": [1, {"y": {}}]}]}}  ',
            {"nested": {"deep": [{"x": [1, {"y": {}}]}]}},
            id="deep-nesting",
        ),
    ],
)
def test_ugly_answers_parse(text: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(fixture_text("truncated"), "truncated", id="truncated"),
        pytest.param(fixture_text("no_json"), "no JSON object", id="prose-only"),
        pytest.param("", "no JSON", id="empty"),
        pytest.param("<think>only thinking, {no answer}</think>\n", "no JSON", id="think-only"),
        pytest.param('[{"a": 1}, {"b": 2}]', "list of 2 items", id="list-of-two"),
        pytest.param("{'a': 1}", "no JSON object", id="python-dict"),
        pytest.param('{"a": __import__("os").getcwd()}', "no JSON object", id="no-eval"),
        pytest.param("42", "no JSON object", id="bare-number"),
    ],
)
def test_unreadable_answers_raise(text: str, reason: str) -> None:
    with pytest.raises(JSONParseError) as caught:
        parse_json_object(text)
    assert reason in str(caught.value)
    assert caught.value.text == text


def test_error_is_an_extraction_error_with_a_short_excerpt() -> None:
    long_answer = '{"facts": [' + ", ".join(f'{{"text": "fact {i}"}}' for i in range(500))
    with pytest.raises(ExtractionError) as caught:
        parse_json_object(long_answer)
    assert isinstance(caught.value, GraphMemError)
    message = str(caught.value)
    assert "truncated" in message
    assert len(message) < 300
    assert '{"facts": [' in message and "fact 499" in message


def test_object_inside_a_truncated_answer_is_not_returned() -> None:
    # The inner {"text": ...} objects are complete, but they are not the answer.
    with pytest.raises(JSONParseError, match="truncated"):
        parse_json_object('{"facts": [{"text": "a"}, {"text": "b"}')
