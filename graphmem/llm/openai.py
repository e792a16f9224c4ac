"""OpenAI-compatible chat completions: vLLM, llama.cpp server, LM Studio, Ollama's /v1, OpenAI.

Uses the official `openai` client (`pip install 'graphmem[openai]'`), with its own retries
turned off so that graphmem's retry loop is the only one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from graphmem.errors import ConfigError, LLMError
from graphmem.llm.base import LLM, ChatMessage, Completion, register_llm
from graphmem.llm.retry import Failure, RetryPolicy, call_with_retries, is_retryable_status

if TYPE_CHECKING:
    import openai

    from graphmem.config import Settings

INSTALL_HINT = "the openai provider needs the openai package: pip install 'graphmem[openai]'"
# Local servers ignore the key but the client refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"
_SCHEMA_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def make_openai_client(
    *,
    base_url: str | None,
    api_key: str | None,
    timeout_s: float,
    settings_prefix: str = "GRAPHMEM_LLM",
) -> openai.OpenAI:
    """An `openai.OpenAI` client with retries off; ConfigError when it cannot be built."""
    try:
        import openai
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    base_url = base_url or os.environ.get("OPENAI_BASE_URL")
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if not key:
        if base_url is None:
            raise ConfigError(
                f"no API key for api.openai.com: set {settings_prefix}_API_KEY (or "
                f"OPENAI_API_KEY), or set {settings_prefix}_BASE_URL to a local "
                "OpenAI-compatible server"
            )
        key = PLACEHOLDER_API_KEY
    return openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout_s, max_retries=0)


def openai_failure(
    exc: Exception,
    *,
    base_url: str,
    model: str,
    timeout_s: float,
    settings_prefix: str = "GRAPHMEM_LLM",
) -> Failure | None:
    """Explain an exception raised by the `openai` client (shared by the LLM and embedder)."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return Failure(
            f"{base_url} did not answer within {timeout_s:g}s (model {model}): "
            "raise GRAPHMEM_LLM_TIMEOUT_S",
            retryable=True,
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return Failure(
            f"cannot reach the OpenAI-compatible server at {base_url} "
            f"({type(cause).__name__}: {cause}): is it running? "
            f"Set {settings_prefix}_BASE_URL to where it listens",
            retryable=True,
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc, base_url=base_url, model=model, prefix=settings_prefix)
    if isinstance(exc, openai.APIError):
        return Failure(f"{base_url} sent an unusable answer: {exc}", retryable=False)
    return None


def _status_failure(
    exc: openai.APIStatusError, *, base_url: str, model: str, prefix: str
) -> Failure:
    status = exc.status_code
    detail = exc.message
    if status in (401, 403):
        return Failure(
            f"{base_url} refused the API key ({status}: {detail}): set {prefix}_API_KEY",
            retryable=False,
        )
    if status == 404:
        return Failure(
            f"{base_url} answered 404 for model {model!r} ({detail}): check the model name "
            f"({prefix}_MODEL) and that the URL ends where the /v1 API starts",
            retryable=False,
        )
    return Failure(
        f"{base_url} answered {status}: {detail}",
        retryable=is_retryable_status(status),
        retry_after_s=_retry_after(exc),
    )


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date; the backoff is good enough then
        return None


def response_format(json_schema: dict[str, Any]) -> dict[str, Any]:
    """The `response_format` asking for output that follows `json_schema`.

    strict is off: strict mode rejects schemas with optional fields or open objects, and
    the answer is validated by graphmem anyway.
    """
    title = str(json_schema.get("title") or "response")
    name = _SCHEMA_NAME.sub("_", title)[:64] or "response"
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": json_schema, "strict": False},
    }


class OpenAILLM(LLM):
    """Chat completions from any server speaking the OpenAI API."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self._retry = retry or RetryPolicy()
        self._client = make_openai_client(base_url=base_url, api_key=api_key, timeout_s=timeout_s)
        self.base_url = str(self._client.base_url).rstrip("/")

    def complete(
        self, messages: Sequence[ChatMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Completion:
        response = call_with_retries(
            lambda: self._create(messages, json_schema),
            policy=self._retry,
            classify=self._classify,
        )
        # Without strict validation the client hands back non-JSON bodies as plain text.
        if not getattr(response, "choices", None):
            raise LLMError(
                f"{self.base_url} did not answer with a chat completion for model "
                f"{self.model!r}: {str(response)[:200]!r}"
            )
        usage = response.usage
        return Completion(
            text=response.choices[0].message.content or "",
            model=response.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def _create(self, messages: Sequence[ChatMessage], json_schema: dict[str, Any] | None) -> Any:
        extra: dict[str, Any] = {}
        if json_schema is not None:
            extra["response_format"] = response_format(json_schema)
        return self._client.chat.completions.create(
            model=self.model,
            messages=[openai_message(m) for m in messages],
            temperature=0,
            **extra,
        )

    def _classify(self, exc: Exception) -> Failure | None:
        return openai_failure(
            exc, base_url=self.base_url, model=self.model, timeout_s=self.timeout_s
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def openai_message(message: ChatMessage) -> dict[str, Any]:
    """A message as the chat completions API takes it: with images, a list of content
    parts (text, then one image_url part per image)."""
    images = message.get("images")
    if not images:
        return {"role": message["role"], "content": message["content"]}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message["content"]}]
    for image in images:
        url: dict[str, Any] = {"url": image.url}
        if image.detail:
            url["detail"] = image.detail
        parts.append({"type": "image_url", "image_url": url})
    return {"role": message["role"], "content": parts}


def _from_settings(settings: Settings) -> LLM:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAILLM(
        settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key,
        timeout_s=settings.llm_timeout_s,
        retry=RetryPolicy(max_retries=settings.llm_max_retries),
    )


register_llm("openai", _from_settings)
