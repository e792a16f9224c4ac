"""Any LangChain chat model as graphmem's LLM (`pip install 'graphmem[langchain]'`).

The chat model is built in code (`LangChainLLM(ChatAnthropic(...))`); there is no way to
describe an arbitrary LangChain model in settings. A JSON schema is asked for in the
prompt rather than through `with_structured_output`, which not every model implements
and which hides the raw text the defensive parser needs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from graphmem.errors import ConfigError
from graphmem.llm.base import LLM, ChatMessage, Completion, register_llm
from graphmem.llm.openai import openai_message
from graphmem.llm.retry import Failure, RetryPolicy, call_with_retries, is_retryable_status

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

    from graphmem.config import Settings

INSTALL_HINT = "the langchain provider needs langchain-core: pip install 'graphmem[langchain]'"
JSON_INSTRUCTION = (
    "Answer with a single JSON object and nothing else: no prose, no code fences. "
    "It must follow this JSON schema:\n{schema}"
)
_TRANSIENT_NAME_PARTS = ("timeout", "connection", "ratelimit", "overloaded", "unavailable")


class LangChainLLM(LLM):
    """Wraps a LangChain `BaseChatModel`; usage comes from `usage_metadata` when reported."""

    name = "langchain"

    def __init__(self, chat_model: BaseChatModel, *, retry: RetryPolicy | None = None) -> None:
        try:
            import langchain_core  # noqa: F401  (fail early with the install hint)
        except ImportError:
            raise ConfigError(INSTALL_HINT) from None
        self._chat = chat_model
        self._retry = retry or RetryPolicy()
        self.model = _model_name(chat_model)

    def complete(
        self, messages: Sequence[ChatMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Completion:
        prompt = to_langchain_messages(messages, json_schema)
        reply = call_with_retries(
            lambda: self._chat.invoke(prompt), policy=self._retry, classify=classify_langchain
        )
        usage = getattr(reply, "usage_metadata", None) or {}
        return Completion(
            text=message_text(reply),
            model=self.model,
            prompt_tokens=int(usage.get("input_tokens", 0)),
            completion_tokens=int(usage.get("output_tokens", 0)),
        )


def to_langchain_messages(
    messages: Sequence[ChatMessage], json_schema: dict[str, Any] | None
) -> list[BaseMessage]:
    """LangChain messages; the JSON instruction joins the system message (kept first)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    converted: list[BaseMessage] = [
        kinds.get(m["role"], HumanMessage)(content=openai_message(m)["content"]) for m in messages
    ]
    if json_schema is None:
        return converted
    instruction = JSON_INSTRUCTION.format(schema=json.dumps(json_schema, indent=1))
    if converted and isinstance(converted[0], SystemMessage):
        converted[0] = SystemMessage(content=f"{message_text(converted[0])}\n\n{instruction}")
    else:
        converted.insert(0, SystemMessage(content=instruction))
    return converted


def message_text(message: Any) -> str:
    """The text of a LangChain message whose content is a string or a list of blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def classify_langchain(exc: Exception) -> Failure:
    """Any provider SDK can sit behind LangChain: judge its errors by status and kind."""
    status = _status_of(exc)
    message = f"the LangChain chat model failed: {type(exc).__name__}: {exc}"
    if status is not None:
        return Failure(message, retryable=is_retryable_status(status))
    name = type(exc).__name__.lower()
    transient = isinstance(exc, (TimeoutError, ConnectionError, httpx.TransportError)) or any(
        part in name for part in _TRANSIENT_NAME_PARTS
    )
    return Failure(message, retryable=transient)


def _status_of(exc: Exception) -> int | None:
    for holder in (exc, getattr(exc, "response", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int) and status > 0:
            return status
    return None


def _model_name(chat_model: Any) -> str:
    for attribute in ("model_name", "model", "model_id"):
        value = getattr(chat_model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return str(getattr(chat_model, "_llm_type", type(chat_model).__name__))


def _from_settings(settings: Settings) -> LLM:
    raise ConfigError(
        "the langchain provider wraps a chat model built in code: pass "
        "graphmem.llm.langchain.LangChainLLM(your_chat_model) as the llm instead of "
        "setting llm_provider = 'langchain'"
    )


register_llm("langchain", _from_settings)
