"""The default LLM provider: a local Ollama server through the official `ollama` client."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import ollama

from graphmem.errors import ImageError
from graphmem.llm.base import LLM, ChatMessage, Completion, register_llm
from graphmem.llm.retry import Failure, RetryPolicy, call_with_retries, is_retryable_status

if TYPE_CHECKING:
    from graphmem.config import Settings

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
# Deterministic answers: extraction should not change between two runs of the same turn.
DEFAULT_OPTIONS: Mapping[str, Any] = {"temperature": 0}


def ollama_host(base_url: str | None) -> str:
    """The server to talk to: the configured URL, else $OLLAMA_HOST (Ollama's own), else local."""
    return base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST


def ollama_failure(
    exc: Exception,
    *,
    host: str,
    model: str,
    timeout_s: float,
    settings_prefix: str = "GRAPHMEM_LLM",
) -> Failure | None:
    """Explain an exception raised by `ollama.Client` (shared by the LLM and the embedder)."""
    if isinstance(exc, ollama.ResponseError):
        return _response_failure(exc, host=host, model=model)
    # The client turns httpx.ConnectError into a bare ConnectionError; its subclasses
    # (reset, broken pipe) come from a server that was reached and then dropped us.
    if type(exc) is ConnectionError:
        return Failure(
            f"cannot connect to Ollama at {host}: start it with `ollama serve` (install: "
            f"https://ollama.com/download), or set {settings_prefix}_BASE_URL to where it runs",
            retryable=True,
        )
    if isinstance(exc, httpx.TimeoutException):
        return Failure(
            f"Ollama at {host} did not answer within {timeout_s:g}s (model {model}); a model "
            "that is still loading can take longer: raise GRAPHMEM_LLM_TIMEOUT_S",
            retryable=True,
        )
    if isinstance(exc, (httpx.TransportError, ConnectionError)):
        return Failure(
            f"connection to Ollama at {host} failed: {type(exc).__name__}: {exc}",
            retryable=True,
        )
    if isinstance(exc, ValueError):  # JSONDecodeError, pydantic's ValidationError
        return Failure(
            f"{host} did not answer like an Ollama server ({type(exc).__name__}: "
            f"{str(exc)[:200]}): is that URL an Ollama server?",
            retryable=False,
        )
    return None


def _response_failure(exc: ollama.ResponseError, *, host: str, model: str) -> Failure:
    status = exc.status_code
    reason = str(exc.error)
    if status == 404 and "not found" in reason.lower() and "model" in reason.lower():
        return Failure(
            f"Ollama at {host} does not have the model {model!r}: run `ollama pull {model}` "
            f"(server said: {reason})",
            retryable=False,
        )
    if status == 404:
        return Failure(
            f"{host} answered 404 ({reason}): is that URL an Ollama server?", retryable=False
        )
    return Failure(
        f"Ollama at {host} answered {status}: {reason}", retryable=is_retryable_status(status)
    )


class OllamaLLM(LLM):
    """Chat completions from Ollama, constrained by a JSON schema through `format`."""

    name = "ollama"

    def __init__(
        self,
        model: str,
        *,
        host: str | None = None,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.host = ollama_host(host)
        self.timeout_s = timeout_s
        self._retry = retry or RetryPolicy()
        self._options = {**DEFAULT_OPTIONS, **(options or {})}
        # Building the client opens nothing: httpx connects on the first request.
        self._client = ollama.Client(host=self.host, timeout=timeout_s)
        self._sees_images: bool | None = None

    def complete(
        self, messages: Sequence[ChatMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Completion:
        response = call_with_retries(
            lambda: self._chat(messages, json_schema),
            policy=self._retry,
            classify=self._classify,
        )
        return Completion(
            text=response.message.content or "",
            model=response.model or self.model,
            prompt_tokens=response.prompt_eval_count or 0,
            completion_tokens=response.eval_count or 0,
        )

    def _chat(
        self, messages: Sequence[ChatMessage], json_schema: dict[str, Any] | None
    ) -> ollama.ChatResponse:
        return self._client.chat(
            model=self.model,
            messages=[_wire(m) for m in messages],
            format=json_schema,
            options=self._options,
            stream=False,
        )

    def _classify(self, exc: Exception) -> Failure | None:
        return ollama_failure(exc, host=self.host, model=self.model, timeout_s=self.timeout_s)

    def sees_images(self) -> bool | None:
        """From the capabilities Ollama lists for the model (0.6.4 and later list them),
        asked once; None when it lists none or cannot be asked."""
        if self._sees_images is None:
            try:
                capabilities = self._client.show(self.model).capabilities
            except Exception:  # the chat call that follows reports an unreachable server
                return None
            self._sees_images = "vision" in capabilities if capabilities else None
        return self._sees_images

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def _wire(message: ChatMessage) -> dict[str, Any]:
    """A message as Ollama's chat API takes it: images as base64 bytes (it fetches no URL)."""
    wired: dict[str, Any] = {"role": message["role"], "content": message["content"]}
    images = message.get("images")
    if images:
        data = [image.base64_data for image in images]
        if None in data:
            raise ImageError(
                "Ollama takes images as bytes, not URLs: send the image as a data URI "
                "(data:image/png;base64,...), or use an OpenAI-compatible server"
            )
        wired["images"] = data
    return wired


def _from_settings(settings: Settings) -> LLM:
    return OllamaLLM(
        settings.llm_model,
        host=settings.llm_base_url,
        timeout_s=settings.llm_timeout_s,
        retry=RetryPolicy(max_retries=settings.llm_max_retries),
    )


register_llm("ollama", _from_settings)
