"""LLM calls per add() on the 32-turn people.json conversation, with the scripted LLM server.

    python bench/llm_calls_per_add.py [--neo4j-uri bolt://127.0.0.1:7687] [--password ...]

Needs a running Neo4j (`graphmem neo4j start`) and the all-MiniLM-L6-v2 model
(GRAPHMEM_TEST_MODEL_PATH, default ../shared/models/all-MiniLM-L6-v2). The LLM is the
scripted HTTP server from the tests, playing a good extraction/resolution model; the real
ollama client, embedder, candidate search and resolution rules run. Prints one row per add,
then the totals. The data it writes lives in a fresh user scope, removed at the end.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graphmem.config import LEGACY_NEO4J_PASSWORD, Settings  # noqa: E402
from graphmem.embed.local import LocalEmbedder  # noqa: E402
from graphmem.memory import Memory  # noqa: E402
from tests.fixtures.conversations.responder import ConversationLLM  # noqa: E402
from tests.scripted_llm import ScriptedLLMServer, model_path_for_tests  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default=LEGACY_NEO4J_PASSWORD)
    parser.add_argument("--conversation", default="people")
    args = parser.parse_args()

    model_path = model_path_for_tests()
    server = ScriptedLLMServer(model_path).start()
    llm = ConversationLLM.load(args.conversation)
    server.responder = llm
    settings = Settings(
        neo4j_uri=args.neo4j_uri,
        neo4j_user=args.user,
        neo4j_password=args.password,
        embedder_path=model_path,
        llm_base_url=server.url,
        llm_max_retries=0,
    )
    uid = f"bench-{uuid.uuid4().hex[:10]}"
    with Memory(settings, embedder=LocalEmbedder(model_path)) as memory:
        try:
            run(memory, llm, uid)
        finally:
            memory.reset(user_id=uid)
            server.stop()


def run(memory: Memory, llm: ConversationLLM, uid: str) -> None:
    header = (
        f"{'turn':>4} {'calls':>5} {'asked':>5} {'prompt':>6} {'compl':>5} {'embeds':>6}  events"
    )
    print(header)
    calls = []
    for index, turn in enumerate(llm.turns):
        llm.current = turn
        asked_before = len(llm.questions)
        result = memory.add(turn["user"], user_id=uid, timestamp=llm.timestamp(index))
        usage = result["usage"]
        calls.append(usage["llm_calls"])
        asked = len(llm.questions) > asked_before
        events = ",".join(r["event"] for r in result["results"]) or "-"
        print(
            f"{index + 1:>4} {usage['llm_calls']:>5} {asked!s:>5} {usage['prompt_tokens']:>6} "
            f"{usage['completion_tokens']:>5} {usage['embeddings']:>6}  {events}"
        )
    single = sum(1 for c in calls if c == 1)
    print()
    print(f"adds: {len(calls)}   llm calls: {sum(calls)}   average: {sum(calls) / len(calls):.3f}")
    print(f"adds with 1 call: {single}   with 2 calls: {len(calls) - single}   max: {max(calls)}")


if __name__ == "__main__":
    main()
