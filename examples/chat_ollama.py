"""A chat agent with long-term memory, on a local Ollama.

    graphmem neo4j start                 # or any Neo4j: GRAPHMEM_NEO4J_URI, ...
    ollama pull qwen2.5:7b
    python examples/chat_ollama.py --user alice

Each turn: recall what graphmem knows that bears on it, answer with that in the system
prompt, then remember the exchange. The same Ollama model chats and extracts memories
(--model and --host set both; the defaults are graphmem's own settings).
"""

from __future__ import annotations

import argparse

import ollama
from memory_chat import MemoryChat, Messages, converse

from graphmem import Memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="whose memory: a user id")
    parser.add_argument("--model", help="Ollama model (default: GRAPHMEM_LLM_MODEL)")
    parser.add_argument("--host", help="Ollama URL (default: GRAPHMEM_LLM_BASE_URL, OLLAMA_HOST)")
    args = parser.parse_args(argv)

    overrides = {"llm_provider": "ollama", "llm_model": args.model, "llm_base_url": args.host}
    with Memory(**{k: v for k, v in overrides.items() if v is not None}) as memory:
        client = ollama.Client(host=memory.settings.llm_base_url)  # None: OLLAMA_HOST, local

        def model(messages: Messages) -> str:
            response = client.chat(model=memory.settings.llm_model, messages=messages)
            return response.message.content or ""

        chat = MemoryChat(memory, model, args.user)
        converse(chat.reply)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
