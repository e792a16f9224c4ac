"""A chat agent with long-term memory, on a local Ollama.

    graphmem neo4j start                 # or any Neo4j: GRAPHMEM_NEO4J_URI, ...
    ollama pull qwen2.5:7b
    python examples/chat_ollama.py --user alice

Each turn: recall what graphmem knows that bears on it, answer with that in the system
prompt, then remember the exchange. The same Ollama model chats and extracts memories
(--model and --host set both; the defaults are graphmem's own settings).
"""

from __future__ import annotations

import ollama
from memory_chat import MemoryChat, Messages, converse, ollama_memory


def main(argv: list[str] | None = None) -> int:
    memory, user_id = ollama_memory(__doc__.splitlines()[0], argv)
    with memory:
        client = ollama.Client(host=memory.settings.llm_base_url)  # None: OLLAMA_HOST, local

        def model(messages: Messages) -> str:
            response = client.chat(model=memory.settings.llm_model, messages=messages)
            return response.message.content or ""

        converse(MemoryChat(memory, model, user_id).reply)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
