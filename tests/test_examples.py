"""examples/ run as scripts (`__main__`, argv, stdin) against the test Neo4j and the scripted
LLM server, so they cannot rot: what the first turn taught must reach the model's prompt in
the second, through graphmem."""

from __future__ import annotations

import io
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

from graphmem.memory import Memory
from tests.scripted_llm import RecordedRequest, ScriptedLLMServer, ToolCalls

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOLD = "My sister Carol lives in Utrecht."
ASKED = "Where does my sister live?"
SISTER = {
    "facts": [
        {"id": 1, "text": "User's sister is Carol", "entities": ["User", "Carol"]},
        {"id": 2, "text": "Carol lives in Utrecht", "entities": ["Carol", "Utrecht"]},
    ],
    "entities": [
        {"name": "User", "type": "Person"},
        {"name": "Carol", "type": "Person"},
        {"name": "Utrecht", "type": "City"},
    ],
    "relations": [
        {"source": "User", "type": "SISTER_OF", "target": "Carol", "fact": 1},
        {"source": "Carol", "type": "LIVES_IN", "target": "Utrecht", "fact": 2},
    ],
}
NOTHING: dict[str, list[Any]] = {"facts": [], "entities": [], "relations": []}


@pytest.fixture
def example_env(
    graphmem_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> pytest.MonkeyPatch:
    """The environment a user would set: the test Neo4j and model, no config file."""
    for name, value in {**graphmem_env, "GRAPHMEM_LLM_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(EXAMPLES))  # as `python examples/x.py` would have it
    return monkeypatch


def run_example(monkeypatch: pytest.MonkeyPatch, script: str, *args: str, lines: list[str]) -> int:
    """Run examples/<script> as __main__ with these arguments and standard input."""
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / script), *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    return int(exited.value.code or 0)


def extraction(request: RecordedRequest) -> str | None:
    """The extraction answer when this is graphmem's extraction call, else None."""
    system = request.messages[0]["content"] if request.messages else ""
    if not system.startswith("You extract"):
        return None
    return json.dumps(SISTER if TOLD in request.messages[-1]["content"] else NOTHING)


def chat_reply(request: RecordedRequest) -> str:
    answer = extraction(request)
    if answer is not None:
        return answer
    return "Noted!" if request.messages[-1]["content"] == TOLD else "In Utrecht, with Carol."


def chat_requests(server: ScriptedLLMServer) -> list[RecordedRequest]:
    return [r for r in server.chat_requests if extraction(r) is None]


def lives_in(memory: Memory, user_id: str) -> set[tuple[str, str, str]]:
    return {
        (r["source"], r["relation"], r["target"])
        for r in memory.relations(user_id=user_id, type="LIVES_IN")["results"]
    }


@pytest.mark.parametrize(
    ("script", "path"),
    [("chat_ollama.py", "/api/chat"), ("chat_openai.py", "/v1/chat/completions")],
)
def test_chat_agent_recalls_what_it_was_told(
    script: str,
    path: str,
    example_env: pytest.MonkeyPatch,
    scripted_llm: ScriptedLLMServer,
    memory: Memory,
    user_id: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scripted_llm.responder = chat_reply
    if script == "chat_ollama.py":
        args = ["--host", scripted_llm.url]
    else:
        args = ["--base-url", scripted_llm.openai_base_url, "--model", "scripted-model"]

    code = run_example(example_env, script, "--user", user_id, *args, lines=[TOLD, ASKED])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "assistant> Noted!",
        "assistant> In Utrecht, with Carol.",
    ]
    assert {r.path for r in scripted_llm.chat_requests} == {path}
    first, second = chat_requests(scripted_llm)
    assert "(nothing yet)" in first.messages[0]["content"]
    # The second turn's system prompt carries what the first turn's add remembered...
    assert "Carol lives in Utrecht" in second.messages[0]["content"]
    # ...and the recent turns go along verbatim.
    assert [m["content"] for m in second.messages[1:]] == [TOLD, "Noted!", ASKED]
    assert lives_in(memory, user_id) == {("Carol", "LIVES_IN", "Utrecht")}


def test_langchain_agent_searches_memory_through_the_tool(
    example_env: pytest.MonkeyPatch,
    scripted_llm: ScriptedLLMServer,
    memory: Memory,
    user_id: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("langchain_ollama")

    def answer(request: RecordedRequest) -> str | ToolCalls:
        extracted = extraction(request)
        if extracted is not None:
            return extracted
        last = request.messages[-1]
        if last["role"] == "tool":
            return "She lives in Utrecht."
        if last["content"] == ASKED:
            return ToolCalls.of("search_memory", query="sister Carol lives")
        return "Noted!"

    scripted_llm.responder = answer
    code = run_example(
        example_env,
        "langchain_agent.py",
        "--user",
        user_id,
        "--host",
        scripted_llm.url,
        lines=[TOLD, ASKED],
    )

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "assistant> Noted!",
        "assistant> She lives in Utrecht.",
    ]
    told, calls_tool, answers = chat_requests(scripted_llm)
    assert told.tools == calls_tool.tools == answers.tools == ["search_memory"]
    # The tool ran graphmem's search in the user's scope; its context block came back.
    tool_message = answers.messages[-1]
    assert tool_message["role"] == "tool"
    assert "Carol lives in Utrecht" in tool_message["content"]
    assert lives_in(memory, user_id) == {("Carol", "LIVES_IN", "Utrecht")}
