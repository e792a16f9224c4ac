"""Contract tests: the real ollama and openai clients against the scripted HTTP server."""

from __future__ import annotations

import math
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from graphmem.config import Settings
from graphmem.embed import get_embedder
from graphmem.embed.base import Embedder
from graphmem.embed.ollama import OllamaEmbedder
from graphmem.embed.openai import OpenAIEmbedder
from graphmem.errors import ConfigError, EmbedderError, LLMError
from graphmem.llm import get_llm, known_llms
from graphmem.llm.base import LLM, ChatMessage
from graphmem.llm.json_output import parse_json_object
from graphmem.llm.langchain import LangChainLLM
from graphmem.llm.ollama import OllamaLLM
from graphmem.llm.openai import OpenAILLM
from graphmem.llm.retry import RetryPolicy
from tests.scripted_llm import (
    DROP,
    Delayed,
    RawResponse,
    RecordedRequest,
    ScriptedError,
    ScriptedLLMServer,
    estimate_tokens,
)

FAST = RetryPolicy(max_retries=2, base_delay_s=0.01, max_delay_s=0.05)
MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Extract durable facts as JSON."},
    {"role": "user", "content": "I moved to Berlin last spring and I work at Acme."},
]
SCHEMA: dict[str, Any] = {
    "title": "Extraction",
    "type": "object",
    "properties": {"facts": {"type": "array", "items": {"type": "string"}}},
    "required": ["facts"],
}
PROVIDERS = ["ollama", "openai"]
T = TypeVar("T")


def make_llm(kind: str, base: str, *, timeout_s: float = 5.0, retry: RetryPolicy = FAST) -> LLM:
    if kind == "ollama":
        return OllamaLLM("qwen2.5:7b", host=base, timeout_s=timeout_s, retry=retry)
    return OpenAILLM("scripted-model", base_url=f"{base}/v1", timeout_s=timeout_s, retry=retry)


@pytest.fixture
def keep() -> Iterator[Callable[[T], T]]:
    """Closes what a test opened, so no client socket outlives its test."""
    opened: list[Any] = []

    def keep(client: T) -> T:
        opened.append(client)
        return client

    yield keep
    for client in opened:
        client.close()


@pytest.fixture(params=PROVIDERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def llm(kind: str, scripted_llm: ScriptedLLMServer, keep: Callable[[LLM], LLM]) -> LLM:
    return keep(make_llm(kind, scripted_llm.url))


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings built in tests see no user config file and no provider env vars."""
    monkeypatch.setenv("GRAPHMEM_CONFIG", str(tmp_path / "absent.toml"))
    for name in ("OLLAMA_HOST", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


# ---- chat: content, usage, schema ---------------------------------------------------------


def test_content_and_usage_come_back(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    answer = '{"facts": ["User lives in Berlin", "User works at Acme"]}'
    scripted_llm.script([answer])

    completion = llm.complete(MESSAGES)

    assert completion.text == answer
    assert completion.model == llm.model
    [request] = scripted_llm.chat_requests
    assert request.messages == MESSAGES
    assert completion.prompt_tokens == estimate_tokens(request.prompt_text) > 0
    assert completion.completion_tokens == estimate_tokens(answer) > 0


def test_schema_reaches_the_server(llm: LLM, kind: str, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script(['{"facts": []}'])

    llm.complete(MESSAGES, json_schema=SCHEMA)

    [request] = scripted_llm.chat_requests
    assert request.schema == SCHEMA
    if kind == "ollama":
        assert request.body["format"] == SCHEMA
        assert request.body["options"]["temperature"] == 0
        assert request.body["stream"] is False
    else:
        assert request.body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "Extraction", "schema": SCHEMA, "strict": False},
        }
        assert request.body["temperature"] == 0


def test_no_schema_sends_no_format(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script(["plain words"])
    assert llm.complete(MESSAGES).text == "plain words"
    [request] = scripted_llm.chat_requests
    assert "format" not in request.body and "response_format" not in request.body


def test_ugly_fixture_survives_the_wire(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script_fixture("think_then_fenced_json", "bom")
    first, second = llm.complete(MESSAGES), llm.complete(MESSAGES)
    assert first.text.startswith("<think>")
    assert parse_json_object(first.text)["relations"][0]["type"] == "LIVES_IN"
    assert second.text.startswith("\ufeff")
    assert parse_json_object(second.text)["facts"] == [{"text": "Alice lives in Berlin"}]


# ---- retries --------------------------------------------------------------------------------


def test_5xx_is_retried_until_success(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script([ScriptedError(500), ScriptedError(503), "finally"])
    assert llm.complete(MESSAGES).text == "finally"
    assert len(scripted_llm.chat_requests) == 3


def test_dropped_connection_is_retried(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script([DROP, "after the drop"])
    assert llm.complete(MESSAGES).text == "after the drop"
    assert len(scripted_llm.chat_requests) == 2


def test_429_is_retried(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script([ScriptedError(429, "slow down", retry_after_s=0.01), "ok"])
    assert llm.complete(MESSAGES).text == "ok"
    assert len(scripted_llm.chat_requests) == 2


@pytest.mark.parametrize("status", [400, 401, 422])
def test_4xx_is_not_retried(llm: LLM, scripted_llm: ScriptedLLMServer, status: int) -> None:
    scripted_llm.script([ScriptedError(status, "bad request body"), "never sent"])
    with pytest.raises(LLMError, match=str(status)):
        llm.complete(MESSAGES)
    assert len(scripted_llm.chat_requests) == 1
    assert scripted_llm.remaining == 1


def test_gives_up_after_max_retries(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script([ScriptedError(500, "boom")] * 3 + ["too late"])
    with pytest.raises(LLMError, match="gave up after 3 attempts") as caught:
        llm.complete(MESSAGES)
    assert "boom" in str(caught.value)
    assert caught.value.__cause__ is not None
    assert len(scripted_llm.chat_requests) == 3


def test_timeout_becomes_llm_error(
    kind: str, scripted_llm: ScriptedLLMServer, keep: Callable[[LLM], LLM]
) -> None:
    llm = keep(make_llm(kind, scripted_llm.url, timeout_s=0.3, retry=RetryPolicy(1, 0.01, 0.02)))
    scripted_llm.script([Delayed("late", 1.0), Delayed("late again", 1.0)])
    with pytest.raises(LLMError, match=r"did not answer within 0\.3s"):
        llm.complete(MESSAGES)
    assert len(scripted_llm.chat_requests) == 2


def test_server_down_names_the_url(
    kind: str, closed_port_url: str, keep: Callable[[LLM], LLM]
) -> None:
    llm = keep(make_llm(kind, closed_port_url, retry=RetryPolicy(1, 0.01, 0.02)))
    with pytest.raises(LLMError) as caught:
        llm.complete(MESSAGES)
    message = str(caught.value)
    assert closed_port_url in message
    assert "gave up after 2 attempts" in message
    if kind == "ollama":
        assert "ollama serve" in message


def test_missing_ollama_model_says_pull(
    scripted_llm: ScriptedLLMServer, keep: Callable[[LLM], LLM]
) -> None:
    scripted_llm.available_models = {"llama3.2:latest"}
    scripted_llm.script(["unused"])
    with pytest.raises(LLMError, match=r"ollama pull qwen2\.5:7b"):
        keep(make_llm("ollama", scripted_llm.url)).complete(MESSAGES)
    assert len(scripted_llm.chat_requests) == 1


def test_missing_openai_model_names_it(
    scripted_llm: ScriptedLLMServer, keep: Callable[[LLM], LLM]
) -> None:
    scripted_llm.available_models = {"other-model"}
    with pytest.raises(LLMError, match="404 for model 'scripted-model'"):
        keep(make_llm("openai", scripted_llm.url)).complete(MESSAGES)
    assert len(scripted_llm.chat_requests) == 1


def test_a_non_api_answer_is_an_llm_error(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    scripted_llm.script([RawResponse("<html>Welcome to nginx!</html>"), "never sent"])
    with pytest.raises(LLMError, match=r"did not answer (like|with)"):
        llm.complete(MESSAGES)
    assert len(scripted_llm.chat_requests) == 1


def test_responder_answers_long_conversations(llm: LLM, scripted_llm: ScriptedLLMServer) -> None:
    def echo(request: RecordedRequest) -> str:
        return f"turns={len(request.messages)}"

    scripted_llm.responder = echo
    assert llm.complete(MESSAGES).text == "turns=2"
    assert llm.complete(MESSAGES[:1]).text == "turns=1"


# ---- building from settings -----------------------------------------------------------------


@pytest.mark.usefixtures("hermetic_env")
@pytest.mark.parametrize(
    ("provider", "suffix", "cls"), [("ollama", "", OllamaLLM), ("openai", "/v1", OpenAILLM)]
)
def test_get_llm_builds_the_configured_provider(
    scripted_llm: ScriptedLLMServer,
    provider: str,
    suffix: str,
    cls: type[LLM],
    keep: Callable[[LLM], LLM],
) -> None:
    settings = Settings(
        llm_provider=provider,  # type: ignore[arg-type]
        llm_model="my-model",
        llm_base_url=scripted_llm.url + suffix,
        llm_max_retries=0,
    )
    llm = keep(get_llm(settings))
    assert isinstance(llm, cls)
    scripted_llm.script([ScriptedError(500)])
    with pytest.raises(LLMError):
        llm.complete(MESSAGES)
    [request] = scripted_llm.chat_requests  # llm_max_retries=0 means one attempt
    assert request.model == "my-model"


@pytest.mark.usefixtures("hermetic_env")
def test_get_llm_rejects_langchain_and_unknown_providers() -> None:
    settings = Settings(llm_provider="langchain")
    with pytest.raises(ConfigError, match="built in code"):
        get_llm(settings)
    with pytest.raises(ConfigError, match="known providers: langchain, ollama, openai"):
        get_llm(settings.model_copy(update={"llm_provider": "bogus"}))
    assert known_llms() == ["langchain", "ollama", "openai"]


@pytest.mark.usefixtures("hermetic_env")
def test_openai_without_key_or_url_asks_for_one() -> None:
    with pytest.raises(ConfigError, match="GRAPHMEM_LLM_API_KEY"):
        get_llm(Settings(llm_provider="openai"))


# ---- embedders --------------------------------------------------------------------------------

EmbedderMaker = Callable[..., Embedder]
TEXTS = ["Alice lives in Berlin", "Bob likes Munich", "vegetarian food", "", "Ünïcödé ✓"]


def make_ollama_embedder(server: ScriptedLLMServer, **kw: Any) -> Embedder:
    return OllamaEmbedder("all-minilm", host=server.url, timeout_s=5, retry=FAST, **kw)


def make_openai_embedder(server: ScriptedLLMServer, **kw: Any) -> Embedder:
    return OpenAIEmbedder(
        "all-MiniLM-L6-v2", base_url=server.openai_base_url, timeout_s=5, retry=FAST, **kw
    )


@pytest.fixture(params=[make_ollama_embedder, make_openai_embedder], ids=["ollama", "openai"])
def make_embedder(
    request: pytest.FixtureRequest, keep: Callable[[Embedder], Embedder]
) -> EmbedderMaker:
    maker: EmbedderMaker = request.param
    return lambda *args, **kw: keep(maker(*args, **kw))


def test_embedder_matches_the_local_model(
    make_embedder: EmbedderMaker, scripted_llm: ScriptedLLMServer
) -> None:
    # A server that does not normalise: the embedder must.
    scripted_llm.embedding_scale = 3.0
    embedder = make_embedder(scripted_llm, batch_size=2)

    vectors = embedder.embed(TEXTS)

    expected = scripted_llm.embedder.embed(TEXTS)
    assert len(vectors) == len(TEXTS)
    for got, want in zip(vectors, expected, strict=True):
        assert len(got) == 384
        assert math.isclose(math.sqrt(sum(x * x for x in got)), 1.0, abs_tol=1e-6)
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-5
    assert [r.inputs for r in scripted_llm.embed_requests] == [TEXTS[0:2], TEXTS[2:4], TEXTS[4:]]


def test_embedder_probes_dimension_once(
    make_embedder: EmbedderMaker, scripted_llm: ScriptedLLMServer
) -> None:
    embedder = make_embedder(scripted_llm)
    assert scripted_llm.embed_requests == []  # constructing it calls nothing
    assert embedder.dimension == 384
    assert embedder.dimension == 384
    assert len(scripted_llm.embed_requests) == 1
    assert make_embedder(scripted_llm, dimension=384).dimension == 384
    assert len(scripted_llm.embed_requests) == 1


def test_embedder_retries_then_succeeds(
    make_embedder: EmbedderMaker, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.fail_embeddings([ScriptedError(500), DROP])
    assert len(make_embedder(scripted_llm).embed_one("hello")) == 384
    assert len(scripted_llm.embed_requests) == 3


def test_embedder_does_not_retry_4xx(
    make_embedder: EmbedderMaker, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.fail_embeddings([ScriptedError(400, "input too long")])
    with pytest.raises(EmbedderError, match="input too long"):
        make_embedder(scripted_llm).embed(["hello"])
    assert len(scripted_llm.embed_requests) == 1


def test_embedder_reports_a_non_api_answer(
    make_embedder: EmbedderMaker, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.fail_embeddings([RawResponse("<html>Welcome to nginx!</html>")])
    with pytest.raises(EmbedderError, match=r"did not answer (like|with)"):
        make_embedder(scripted_llm).embed(["hello"])
    assert len(scripted_llm.embed_requests) == 1


def test_embedder_rejects_a_dimension_mismatch(
    make_embedder: EmbedderMaker, scripted_llm: ScriptedLLMServer
) -> None:
    with pytest.raises(EmbedderError, match="returned 384-dimensional vectors, expected 768"):
        make_embedder(scripted_llm, dimension=768).embed(["hello"])


def test_ollama_embedder_missing_model_says_pull(
    scripted_llm: ScriptedLLMServer, keep: Callable[[Embedder], Embedder]
) -> None:
    scripted_llm.available_models = {"nomic-embed-text:latest"}
    with pytest.raises(EmbedderError, match="ollama pull all-minilm"):
        keep(make_ollama_embedder(scripted_llm)).embed(["hello"])


@pytest.mark.usefixtures("hermetic_env")
@pytest.mark.parametrize(("provider", "suffix"), [("ollama", ""), ("openai", "/v1")])
def test_embedders_build_from_settings(
    scripted_llm: ScriptedLLMServer,
    provider: str,
    suffix: str,
    keep: Callable[[Embedder], Embedder],
) -> None:
    settings = Settings(
        embedder_provider=provider,  # type: ignore[arg-type]
        embedder_base_url=scripted_llm.url + suffix,
    )
    embedder = keep(get_embedder(settings))
    assert embedder.dimension == 384
    [request] = scripted_llm.embed_requests
    # Ollama knows graphmem's default model by its own name.
    expected = "all-minilm" if provider == "ollama" else settings.embedder_model
    assert request.model == expected


# ---- langchain (no HTTP: a fake chat model implementing LangChain's real interface) ------------


class RecordingChatModel(BaseChatModel):
    """Answers from a list; an Exception in the list is raised instead. Records every call."""

    answers: list[Any]
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kw: Any
    ) -> ChatResult:
        self.calls.append(list(messages))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])


class StatusError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def test_langchain_content_and_usage() -> None:
    reply = AIMessage(
        content=[{"type": "text", "text": '{"facts": '}, {"type": "text", "text": "[]}"}],
        usage_metadata={"input_tokens": 11, "output_tokens": 4, "total_tokens": 15},
    )
    llm = LangChainLLM(GenericFakeChatModel(messages=iter([reply])))
    completion = llm.complete(MESSAGES)
    assert completion.text == '{"facts": []}'
    assert (completion.prompt_tokens, completion.completion_tokens) == (11, 4)


def test_langchain_asks_for_the_schema_in_the_system_message() -> None:
    chat = RecordingChatModel(answers=['{"facts": []}'])
    completion = LangChainLLM(chat).complete(MESSAGES, json_schema=SCHEMA)
    assert completion.text == '{"facts": []}'
    assert completion.model == "recording-fake"
    [sent] = chat.calls
    assert [type(m).__name__ for m in sent] == ["SystemMessage", "HumanMessage"]
    assert sent[0].content.startswith(MESSAGES[0]["content"])
    assert '"required": [' in sent[0].content and "single JSON object" in sent[0].content
    assert sent[1].content == MESSAGES[1]["content"]


def test_langchain_adds_a_system_message_when_there_is_none() -> None:
    chat = RecordingChatModel(answers=["{}"])
    LangChainLLM(chat).complete(MESSAGES[1:], json_schema=SCHEMA)
    assert [type(m).__name__ for m in chat.calls[0]] == ["SystemMessage", "HumanMessage"]


@pytest.mark.parametrize("failure", [TimeoutError("slow"), StatusError(503), StatusError(429)])
def test_langchain_retries_transient_failures(failure: Exception) -> None:
    chat = RecordingChatModel(answers=[failure, "ok"])
    assert LangChainLLM(chat, retry=FAST).complete(MESSAGES).text == "ok"
    assert len(chat.calls) == 2


@pytest.mark.parametrize("failure", [StatusError(400), ValueError("bad input")])
def test_langchain_does_not_retry_other_failures(failure: Exception) -> None:
    chat = RecordingChatModel(answers=[failure, "never"])
    with pytest.raises(LLMError, match="LangChain chat model failed") as caught:
        LangChainLLM(chat, retry=FAST).complete(MESSAGES)
    assert caught.value.__cause__ is failure
    assert len(chat.calls) == 1


# ---- the backoff itself -------------------------------------------------------------------------


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=5, base_delay_s=1.0, max_delay_s=4.0)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 4.0)]:
        delays = {policy.delay(retry) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered, not lockstep
    assert policy.delay(0, retry_after_s=3.0) == 3.0
    assert policy.delay(0, retry_after_s=60.0) == 4.0
