"""A real HTTP server speaking the Ollama and OpenAI-compatible APIs, answering from a script.

Tests replace the LLM only at the HTTP boundary: the real `ollama` and `openai` clients talk
to this server over a socket. A test scripts the answers (strings, fixture files, errors,
delays, dropped connections, or a `responder` callable) and reads back every request it
received in `server.requests`. Embeddings are real: the server computes them with the local
all-MiniLM-L6-v2 ONNX model (GRAPHMEM_TEST_MODEL_PATH, default ../shared/models/...).

Use the `scripted_llm` fixture (fresh script and request log per test, one server per
session); list this module in conftest's `pytest_plugins`.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

FIXTURES_DIR = Path(__file__).parent / "fixtures" / "llm"
MODEL_PATH_ENV = "GRAPHMEM_TEST_MODEL_PATH"
OLLAMA_VERSION = "0.12.6"


def model_path_for_tests() -> Path:
    """Where the real embedding model for tests lives."""
    default = Path(__file__).resolve().parents[2] / "shared" / "models" / "all-MiniLM-L6-v2"
    return Path(os.environ.get(MODEL_PATH_ENV) or default)


def fixture_text(name: str) -> str:
    """The exact text of tests/fixtures/llm/<name> (tries <name>, .txt, .json)."""
    names = (name, f"{name}.txt", f"{name}.json")
    for candidate in (FIXTURES_DIR / n for n in names):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no LLM fixture {name!r} in {FIXTURES_DIR}")


def estimate_tokens(text: str) -> int:
    """A deterministic token count: 1.3 tokens per word, like a rough BPE."""
    return math.ceil(len(text.split()) * 1.3)


# ---- what a test can script -----------------------------------------------------------


@dataclass(frozen=True)
class ScriptedError:
    """Answer with an HTTP error in the API's own error shape."""

    status: int = 500
    message: str = "scripted server error"
    retry_after_s: float | None = None


@dataclass(frozen=True)
class RawResponse:
    """Answer with exactly these bytes (a misconfigured proxy, an HTML error page...)."""

    body: str
    status: int = 200
    content_type: str = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Delayed:
    """Wait `seconds`, then give `answer` (to make clients time out)."""

    answer: Answer
    seconds: float


@dataclass(frozen=True)
class CloseConnection:
    """Drop the connection without sending a response."""


@dataclass(frozen=True)
class ToolCalls:
    """Answer by calling tools: {name: arguments} in order (Ollama's API, streamed or not).

    The OpenAI routes answer 400 to it: no test needs their tool-call shape yet.
    """

    calls: tuple[tuple[str, dict[str, Any]], ...]
    content: str = ""

    @classmethod
    def of(cls, name: str, **arguments: Any) -> ToolCalls:
        return cls(((name, arguments),))

    def ollama_message(self) -> dict[str, Any]:
        return {
            "role": "assistant",
            "content": self.content,
            "tool_calls": [
                {"function": {"name": name, "arguments": arguments}}
                for name, arguments in self.calls
            ],
        }


DROP = CloseConnection()
Answer = str | dict | list | ScriptedError | RawResponse | Delayed | CloseConnection | ToolCalls
Responder = Callable[["RecordedRequest"], Answer]


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)

    @property
    def api(self) -> str:
        return "openai" if self.path.startswith("/v1/") else "ollama"

    @property
    def is_chat(self) -> bool:
        return self.path in ("/api/chat", "/v1/chat/completions")

    @property
    def is_embed(self) -> bool:
        return self.path in ("/api/embed", "/api/embeddings", "/v1/embeddings")

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or []) if isinstance(self.body, dict) else []

    @property
    def tools(self) -> list[str]:
        """The names of the tools the client offered the model."""
        tools = self.body.get("tools") if isinstance(self.body, dict) else None
        return [t.get("function", {}).get("name") for t in tools or []]

    @property
    def prompt_text(self) -> str:
        """Every message's content, joined: what a test searches for prompt contents."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the client asked the answer to follow, from either API."""
        if not isinstance(self.body, dict):
            return None
        if self.api == "ollama":
            schema = self.body.get("format")
            return schema if isinstance(schema, dict) else None
        response_format = self.body.get("response_format") or {}
        return (response_format.get("json_schema") or {}).get("schema")

    @property
    def inputs(self) -> list[str]:
        """The texts of an embedding request."""
        if not isinstance(self.body, dict):
            return []
        raw = self.body.get("input", self.body.get("prompt", []))
        return [raw] if isinstance(raw, str) else list(raw)


# ---- the server -----------------------------------------------------------------------


class ScriptedLLMServer:
    """The scripted Ollama + OpenAI-compatible server. Start once, `reset()` between tests."""

    def __init__(self, model_path: Path | None = None) -> None:
        self.model_path = model_path or model_path_for_tests()
        self.requests: list[RecordedRequest] = []
        self.responder: Responder | None = None
        self.available_models: set[str] | None = None  # None: every model exists
        self.vision_models: set[str] = set()  # Ollama lists "vision" among their capabilities
        self.embedding_scale = 1.0  # != 1 mimics servers that do not normalise
        self._answers: deque[Answer] = deque()
        self._embed_failures: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._embedder: Any = None
        self._ids = itertools.count(1)
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> ScriptedLLMServer:
        self._http = _HTTPServer(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="scripted-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def reset(self) -> None:
        """Forget the script, the request log and every knob a test turned."""
        with self._lock:
            self._answers.clear()
            self._embed_failures.clear()
            self.requests.clear()
        self.responder = None
        self.available_models = None
        self.vision_models = set()
        self.embedding_scale = 1.0

    @property
    def url(self) -> str:
        """The Ollama base URL (also serves /v1 for OpenAI clients)."""
        assert self._http is not None, "server not started"
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    # scripting

    def script(self, answers: list[Answer]) -> None:
        """Queue chat answers, consumed one per chat request, in order."""
        with self._lock:
            self._answers.extend(answers)

    def script_fixture(self, *names: str) -> None:
        """Queue the contents of tests/fixtures/llm/<name>(.txt|.json) as chat answers."""
        self.script([fixture_text(name) for name in names])

    def fail_embeddings(self, failures: list[Answer]) -> None:
        """Queue errors, delays or drops for the next embedding requests (then real vectors)."""
        with self._lock:
            self._embed_failures.extend(failures)

    @property
    def remaining(self) -> int:
        """Chat answers scripted but not yet requested."""
        return len(self._answers)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.is_chat]

    @property
    def embed_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.is_embed]

    @property
    def embedder(self) -> Any:
        """The real local embedder the server answers embedding requests with."""
        with self._lock:
            if self._embedder is None:
                from graphmem.embed.local import LocalEmbedder

                self._embedder = LocalEmbedder(path=self.model_path)
            return self._embedder

    # used by the handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_answer(self, request: RecordedRequest) -> Answer:
        with self._lock:
            if self._answers:
                return self._answers.popleft()
        if self.responder is not None:
            return self.responder(request)
        return ScriptedError(
            400, f"scripted_llm: no answer scripted for {request.method} {request.path}"
        )

    def _next_embed_failure(self) -> Answer | None:
        with self._lock:
            return self._embed_failures.popleft() if self._embed_failures else None

    def _has_model(self, name: str | None) -> bool:
        if self.available_models is None:
            return True
        if not name:
            return False
        return name in self.available_models or f"{name}:latest" in self.available_models

    def _embed(self, texts: list[str]) -> list[list[float]]:
        vectors = self.embedder.embed(texts)
        return [[x * self.embedding_scale for x in v] for v in vectors]

    def _next_id(self) -> int:
        return next(self._ids)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, llm: ScriptedLLMServer) -> None:
        super().__init__(address, handler)
        self.llm = llm

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out hang up on a delayed answer; that is the test working.
        pass


# ---- request handling ------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    @property
    def llm(self) -> ScriptedLLMServer:
        return self.server.llm

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._send_json(200, {})

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        request = RecordedRequest(
            method, self.path.split("?")[0], self._read_body(), dict(self.headers.items())
        )
        self.llm._record(request)
        route = _ROUTES.get((method, request.path))
        if route is None:
            self._send_error(request, 404, f"404 page not found: {request.path}")
        elif method == "POST" and not isinstance(request.body, dict):
            self._send_error(request, 400, "the request body must be a JSON object")
        else:
            route(self, request)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")

    # answers

    def _play(self, request: RecordedRequest, answer: Answer) -> str | ToolCalls | None:
        """Act out delays, drops and errors; what to answer with, or None if done."""
        while isinstance(answer, Delayed):
            time.sleep(answer.seconds)
            answer = answer.answer
        if isinstance(answer, CloseConnection):
            self.close_connection = True
            return None
        if isinstance(answer, ScriptedError):
            self._send_error(request, answer.status, answer.message, answer.retry_after_s)
            return None
        if isinstance(answer, RawResponse):
            self._send_bytes(answer.status, answer.body.encode(), answer.content_type)
            return None
        if isinstance(answer, ToolCalls):
            if request.api == "ollama":
                return answer
            self._send_error(request, 400, "scripted_llm: tool calls are scripted for Ollama only")
            return None
        return answer if isinstance(answer, str) else json.dumps(answer)

    def _check_model(self, request: RecordedRequest) -> bool:
        if self.llm._has_model(request.model):
            return True
        if request.api == "ollama":
            message = f'model "{request.model}" not found, try pulling it first'
        else:
            message = f"The model `{request.model}` does not exist or you do not have access to it."
        self._send_error(request, 404, message)
        return False

    # Ollama

    def _ollama_chat(self, request: RecordedRequest) -> None:
        if not self._check_model(request):
            return
        answer = self._play(request, self.llm._next_answer(request))
        if answer is None:
            return
        if isinstance(answer, ToolCalls):
            content, message = answer.content, answer.ollama_message()
        else:
            content, message = answer, {"role": "assistant", "content": answer}
        stats = _ollama_stats(request.prompt_text, content)
        if request.body.get("stream", True):  # Ollama streams unless told not to
            self._send_ndjson(_ollama_chunks(request.model, message, stats))
            return
        self._send_json(
            200,
            {
                "model": request.model,
                "created_at": _now(),
                "message": message,
                "done": True,
                "done_reason": "stop",
                **stats,
            },
        )

    def _ollama_embed(self, request: RecordedRequest) -> None:
        if not self._check_model(request) or not self._play_embed_failure(request):
            return
        vectors = self._vectors(request)
        if vectors is None:
            return
        if request.path == "/api/embeddings":  # the deprecated single-prompt endpoint
            self._send_json(200, {"embedding": vectors[0]})
            return
        self._send_json(
            200,
            {
                "model": request.model,
                "embeddings": vectors,
                "total_duration": 1_000_000,
                "load_duration": 100_000,
                "prompt_eval_count": sum(estimate_tokens(t) for t in request.inputs),
            },
        )

    def _ollama_tags(self, request: RecordedRequest) -> None:
        names = sorted(self.llm.available_models or {"qwen2.5:7b", "all-minilm:latest"})
        self._send_json(200, {"models": [_ollama_model(n) for n in names]})

    def _ollama_show(self, request: RecordedRequest) -> None:
        if not self._check_model(request):
            return
        self._send_json(
            200,
            {
                "modelfile": f"FROM {request.model}",
                "parameters": "temperature 0",
                "template": "{{ .Prompt }}",
                "details": _ollama_model(request.model or "")["details"],
                "model_info": {"general.architecture": "scripted"},
                "capabilities": ["completion", "embedding"]
                + (["vision"] if request.model in self.llm.vision_models else []),
                "modified_at": _now(),
            },
        )

    def _ollama_version(self, request: RecordedRequest) -> None:
        self._send_json(200, {"version": OLLAMA_VERSION})

    def _ollama_root(self, request: RecordedRequest) -> None:
        self._send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8")

    # OpenAI-compatible

    def _openai_chat(self, request: RecordedRequest) -> None:
        if not self._check_model(request):
            return
        content = self._play(request, self.llm._next_answer(request))
        if content is None:
            return
        assert isinstance(content, str)  # _play refused tool calls for this API
        prompt, completion = estimate_tokens(request.prompt_text), estimate_tokens(content)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        ident, created = f"chatcmpl-scripted-{self.llm._next_id()}", int(time.time())
        if request.body.get("stream"):
            include_usage = (request.body.get("stream_options") or {}).get("include_usage")
            self._send_sse(
                _openai_chunks(
                    ident, created, request.model, content, usage if include_usage else None
                )
            )
            return
        self._send_json(
            200,
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": request.model,
                "system_fingerprint": "scripted",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            },
        )

    def _openai_embeddings(self, request: RecordedRequest) -> None:
        if not self._check_model(request) or not self._play_embed_failure(request):
            return
        vectors = self._vectors(request)
        if vectors is None:
            return
        as_base64 = request.body.get("encoding_format") == "base64"
        tokens = sum(estimate_tokens(t) for t in request.inputs)
        self._send_json(
            200,
            {
                "object": "list",
                "data": [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": _to_base64(v) if as_base64 else v,
                    }
                    for i, v in enumerate(vectors)
                ],
                "model": request.model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _openai_models(self, request: RecordedRequest) -> None:
        names = sorted(self.llm.available_models or {"scripted-model"})
        self._send_json(
            200,
            {
                "object": "list",
                "data": [
                    {"id": n, "object": "model", "created": 0, "owned_by": "scripted"}
                    for n in names
                ],
            },
        )

    # embedding helpers

    def _play_embed_failure(self, request: RecordedRequest) -> bool:
        failure = self.llm._next_embed_failure()
        if failure is None:
            return True
        return self._play(request, failure) is not None

    def _vectors(self, request: RecordedRequest) -> list[list[float]] | None:
        try:
            return self.llm._embed(request.inputs)
        except Exception as exc:  # a missing model folder must reach the test as an error
            self._send_error(request, 500, f"scripted_llm cannot embed: {exc}")
            return None

    # writing

    def _send_error(
        self,
        request: RecordedRequest,
        status: int,
        message: str,
        retry_after_s: float | None = None,
    ) -> None:
        if request.api == "openai":
            kind = "invalid_request_error" if status < 500 else "server_error"
            body: dict[str, Any] = {
                "error": {"message": message, "type": kind, "param": None, "code": None}
            }
        else:
            body = {"error": message}
        headers = {"Retry-After": f"{retry_after_s:g}"} if retry_after_s is not None else {}
        self._send_json(status, body, headers)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(body).encode(), "application/json", headers)

    def _send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_stream(self, content_type: str, lines: Iterator[bytes]) -> None:
        # No length known: close the connection to end the body (valid HTTP/1.1).
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            for line in lines:
                self.wfile.write(line)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_ndjson(self, chunks: Iterator[dict[str, Any]]) -> None:
        self._send_stream("application/x-ndjson", (json.dumps(c).encode() + b"\n" for c in chunks))

    def _send_sse(self, chunks: Iterator[dict[str, Any]]) -> None:
        events = (f"data: {json.dumps(c)}\n\n".encode() for c in chunks)
        self._send_stream("text/event-stream", itertools.chain(events, [b"data: [DONE]\n\n"]))


_ROUTES: dict[tuple[str, str], Callable[[_Handler, RecordedRequest], None]] = {
    ("GET", "/"): _Handler._ollama_root,
    ("GET", "/api/version"): _Handler._ollama_version,
    ("GET", "/api/tags"): _Handler._ollama_tags,
    ("POST", "/api/show"): _Handler._ollama_show,
    ("POST", "/api/chat"): _Handler._ollama_chat,
    ("POST", "/api/embed"): _Handler._ollama_embed,
    ("POST", "/api/embeddings"): _Handler._ollama_embed,
    ("GET", "/v1/models"): _Handler._openai_models,
    ("POST", "/v1/chat/completions"): _Handler._openai_chat,
    ("POST", "/v1/embeddings"): _Handler._openai_embeddings,
}


# ---- response shapes -------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _ollama_stats(prompt: str, content: str) -> dict[str, int]:
    prompt_tokens, answer_tokens = estimate_tokens(prompt), estimate_tokens(content)
    return {
        "total_duration": 1_000_000 * (prompt_tokens + answer_tokens + 1),
        "load_duration": 100_000,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 100_000 * prompt_tokens,
        "eval_count": answer_tokens,
        "eval_duration": 1_000_000 * answer_tokens,
    }


def _pieces(content: str) -> list[str]:
    """Content split into word-sized chunks that join back to exactly the content."""
    pieces, current = [], ""
    for char in content:
        current += char
        if char.isspace():
            pieces.append(current)
            current = ""
    return [*pieces, current] if current else pieces


def _ollama_chunks(
    model: str, message: dict[str, Any], stats: dict[str, int]
) -> Iterator[dict[str, Any]]:
    for piece in _pieces(message["content"]):
        yield {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }
    if message.get("tool_calls"):  # as Ollama sends them: whole, in a chunk of their own
        yield {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": "", "tool_calls": message["tool_calls"]},
            "done": False,
        }
    yield {
        "model": model,
        "created_at": _now(),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        **stats,
    }


def _openai_chunks(
    ident: str, created: int, model: str, content: str, usage: dict[str, int] | None
) -> Iterator[dict[str, Any]]:
    base = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model}
    yield {
        **base,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    for piece in _pieces(content):
        yield {
            **base,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if usage is not None:
        yield {**base, "choices": [], "usage": usage}


def _ollama_model(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": _now(),
        "size": 1,
        "digest": "0" * 64,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "scripted",
            "families": ["scripted"],
            "parameter_size": "1B",
            "quantization_level": "Q4_K_M",
        },
    }


def _to_base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


# ---- pytest fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def scripted_llm_server() -> Iterator[ScriptedLLMServer]:
    """One scripted server for the whole session."""
    server = ScriptedLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def scripted_llm(scripted_llm_server: ScriptedLLMServer) -> Iterator[ScriptedLLMServer]:
    """The session's scripted server with an empty script and request log."""
    scripted_llm_server.reset()
    yield scripted_llm_server
    scripted_llm_server.reset()
