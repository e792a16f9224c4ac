"""The loop the chat examples share: recall -> build the prompt -> call the model -> remember.

`MemoryChat` works with any chat model given as a function from messages to a reply;
chat_ollama.py and chat_openai.py hand it one; langchain_agent.py reuses the rest. Only
graphmem's public API is used.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from graphmem import GraphMemError, Memory

Messages = list[dict[str, str]]
ChatModel = Callable[[Messages], str]

SYSTEM = """You are a friendly assistant with a long-term memory of this user.
What you remember about them (facts, and relations between the people, places and things
in their life) is below; use it when it helps, and never invent memories.

{memories}"""
NOTHING_YET = "(nothing yet)"
RECENT_TURNS = 6  # short-term memory: the last few messages go along verbatim


@dataclass
class MemoryChat:
    """A chat agent whose memory lives in graphmem, scoped to one user."""

    memory: Memory
    model: ChatModel
    user_id: str
    recent: Messages = field(default_factory=list)

    def reply(self, text: str) -> str:
        # 1. Recall: no LLM call, vector hits blended with a walk of the graph.
        recalled = self.memory.search(text, user_id=self.user_id, top_k=5)
        # 2. Build the prompt: the context block graphmem renders, then the recent turns.
        system = SYSTEM.format(memories=recalled["context"] or NOTHING_YET)
        messages = [
            {"role": "system", "content": system},
            *self.recent[-RECENT_TURNS:],
            {"role": "user", "content": text},
        ]
        # 3. Call the model.
        answer = self.model(messages)
        # 4. Remember the exchange: one extraction call distils what lasts.
        self.recent += remember(self.memory, self.user_id, text, answer)
        return answer


def ollama_memory(description: str, argv: list[str] | None) -> tuple[Memory, str]:
    """A Memory extracting with the Ollama model the command line names, and whose it is."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--user", required=True, help="whose memory: a user id")
    parser.add_argument("--model", help="Ollama model (default: GRAPHMEM_LLM_MODEL)")
    parser.add_argument("--host", help="Ollama URL (default: GRAPHMEM_LLM_BASE_URL, OLLAMA_HOST)")
    args = parser.parse_args(argv)
    given = {"llm_model": args.model, "llm_base_url": args.host}
    memory = Memory(llm_provider="ollama", **{k: v for k, v in given.items() if v is not None})
    return memory, args.user


def remember(memory: Memory, user_id: str, text: str, answer: str) -> Messages:
    """Add one exchange to memory; a failed extraction is reported, not fatal."""
    exchange = [{"role": "user", "content": text}, {"role": "assistant", "content": answer}]
    try:
        memory.add(exchange, user_id=user_id)
    except GraphMemError as exc:  # the episode is kept for `graphmem reextract`
        print(f"(not remembered: {exc})", file=sys.stderr)
    return exchange


def converse(reply: Callable[[str], str]) -> None:
    """Answer each line of standard input until its end or /quit."""
    prompt = "you> " if sys.stdin.isatty() else ""
    print(prompt, end="", flush=True)
    for line in sys.stdin:
        text = line.strip()
        if text in ("/quit", "/exit"):
            break
        if text:
            print(f"assistant> {reply(text)}")
        print(prompt, end="", flush=True)
