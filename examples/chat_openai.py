"""A chat agent with long-term memory, on any OpenAI-compatible server (vLLM, llama.cpp's
server, LM Studio, Ollama's /v1, OpenAI).

    graphmem neo4j start                 # or any Neo4j: GRAPHMEM_NEO4J_URI, ...
    python examples/chat_openai.py --user alice \\
        --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct

Each turn: recall what graphmem knows that bears on it, answer with that in the system
prompt, then remember the exchange. The same server and model chat and extract memories
(--base-url, --model and --api-key set both; the defaults are graphmem's own settings,
then OPENAI_BASE_URL / OPENAI_API_KEY). Needs `pip install 'graphmem[openai]'`.
"""

from __future__ import annotations

import argparse
import os

import openai
from memory_chat import MemoryChat, Messages, converse

from graphmem import Memory

# Local servers ignore the key, but the client insists on one.
NO_KEY = "not-needed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="whose memory: a user id")
    parser.add_argument("--base-url", help="e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", help="the served model's name")
    parser.add_argument("--api-key", help="for hosted APIs (default: OPENAI_API_KEY)")
    args = parser.parse_args(argv)

    overrides = {
        "llm_provider": "openai",
        "llm_base_url": args.base_url,
        "llm_model": args.model,
        "llm_api_key": args.api_key,
    }
    with Memory(**{k: v for k, v in overrides.items() if v is not None}) as memory:
        settings = memory.settings
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        key = key or os.environ.get("OPENAI_API_KEY") or NO_KEY
        client = openai.OpenAI(base_url=settings.llm_base_url, api_key=key)

        def model(messages: Messages) -> str:
            response = client.chat.completions.create(
                model=settings.llm_model,
                messages=messages,  # type: ignore[arg-type]
            )
            return response.choices[0].message.content or ""

        chat = MemoryChat(memory, model, args.user)
        converse(chat.reply)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
