"""LLM cost per add on a 50-turn conversation: graphmem vs mem0ai 1.0.11 with graph memory.

    python bench/cost_per_add.py --neo4j-uri bolt://127.0.0.1:27687 --neo4j-password ...

The stream is bench/data/conversation_50.json (people.json's 32 turns plus 18 more). Both
systems talk to the same scripted HTTP server (tests/scripted_llm.py, with OpenAI tool calls
added by bench/peers_mem0.py), playing a good model from the fixture: for graphmem the
conversation responder of the tests; for mem0 the same turn's facts as mem0's fact list,
ADD decisions for its update prompt, the turn's entities and relations for its graph tools
and no deletions. Every chat request is counted at the server; tokens are the server's
estimate (1.3 tokens per word of the messages sent, and of the answer), the same for both.
Tool definitions mem0 sends with its graph calls are not counted as prompt tokens, though
hosted APIs bill them: mem0's figure is a floor.

graphmem writes into a fresh user scope (removed at the end); mem0 into a temporary
qdrant + its graph (label __Entity__) in the same Neo4j, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchlib import machine, markdown_table, save_json, save_markdown  # noqa: E402
from peers_mem0 import (  # noqa: E402
    MEM0_PYTHON,
    ToolScriptedServer,
    mem0_config,
    run_mem0_side,
    tool_name,
)

from graphmem.config import Settings  # noqa: E402
from graphmem.embed.local import LocalEmbedder  # noqa: E402
from graphmem.memory import Memory  # noqa: E402
from tests.fixtures.conversations.responder import ConversationLLM  # noqa: E402
from tests.scripted_llm import RecordedRequest, estimate_tokens, model_path_for_tests  # noqa: E402

CONVERSATION = REPO / "bench" / "data" / "conversation_50.json"


class Metered:
    """Wraps a responder: remembers the completion tokens of every answer it gives."""

    def __init__(self, responder: Any) -> None:
        self.responder = responder
        self.completions: list[tuple[float, int]] = []  # (request arrival, tokens)

    def __call__(self, request: RecordedRequest) -> Any:
        answer = self.responder(request)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        self.completions.append((request.at, estimate_tokens(text)))
        return answer


def load_turns() -> tuple[list[dict[str, Any]], datetime]:
    data = json.loads(CONVERSATION.read_text(encoding="utf-8"))
    return data["turns"], datetime.fromisoformat(data["start"])


# -- graphmem ---------------------------------------------------------------------------------


def graphmem_stream(server: ToolScriptedServer, args: argparse.Namespace) -> list[dict]:
    turns, start = load_turns()
    llm = ConversationLLM(turns, start)
    meter = Metered(llm)
    server.reset()
    server.responder = meter
    model_path = model_path_for_tests()
    settings = Settings(
        neo4j_uri=args.neo4j_uri,
        neo4j_password=args.neo4j_password,
        embedder_path=model_path,
        llm_provider="openai",
        llm_base_url=server.openai_base_url,
        llm_model="scripted-model",
        llm_max_retries=0,
    )
    uid = f"cost-{uuid.uuid4().hex[:8]}"
    rows = []
    with Memory(settings, embedder=LocalEmbedder(model_path)) as memory:
        try:
            for index, turn in enumerate(turns):
                llm.current = turn
                t0 = time.monotonic()
                result = memory.add(turn["user"], user_id=uid, timestamp=llm.timestamp(index))
                rows.append(window(server, meter, t0, time.monotonic(), result["usage"]))
            probe = memory.search("Where does Sam live and who is in the band?", user_id=uid)
            rows[-1]["context_tokens_k10"] = len(probe["context"]) // 4
        finally:
            memory.reset(user_id=uid)
    return rows


def window(
    server: ToolScriptedServer, meter: Metered, t0: float, t1: float, usage: Any = None
) -> dict[str, Any]:
    """What the server saw between t0 and t1: chat calls, tokens, embedding calls."""
    chats = [r for r in server.requests if r.is_chat and t0 <= r.at <= t1]
    embeds = [r for r in server.requests if r.is_embed and t0 <= r.at <= t1]
    return {
        "llm_calls": len(chats),
        "prompt_tokens": sum(estimate_tokens(r.prompt_text) for r in chats),
        "completion_tokens": sum(n for at, n in meter.completions if t0 <= at <= t1),
        "embedding_requests": len(embeds),
        "kinds": [tool_name(r) or kind_of(r) for r in chats],
        "reported_usage": usage,
    }


# -- mem0 -------------------------------------------------------------------------------------


def kind_of(request: RecordedRequest) -> str:
    text = request.prompt_text
    return "update_memory" if "smart memory manager" in text else "extract_facts"


class Mem0Responder:
    """Plays a good model for mem0's five prompts, from the fixture turn being added."""

    def __init__(self, turns: list[dict[str, Any]], user_id: str) -> None:
        self.turns, self.user_id, self.current = turns, user_id, turns[0]

    def __call__(self, request: RecordedRequest) -> Any:
        self._follow(request.prompt_text)
        facts = self.current.get("facts", [])
        name = tool_name(request)
        if name is None:
            if kind_of(request) == "update_memory":
                memory = [
                    {"id": str(i), "text": f["text"], "event": "ADD"} for i, f in enumerate(facts)
                ]
                return json.dumps({"memory": memory})
            return json.dumps({"facts": [f["text"] for f in facts]})
        if name == "extract_entities":
            found = {self._name(n): t.lower() for f in facts for n, t in f.get("entities", [])}
            entities = [{"entity": n, "entity_type": t} for n, t in found.items()]
            return {"tool_calls": [{"name": name, "arguments": {"entities": entities}}]}
        if name in ("establish_relationships", "establish_relations"):
            rels = [
                {"source": self._name(s), "relationship": r, "destination": self._name(d)}
                for f in facts
                for s, r, d in f.get("relations", [])
            ]
            return {"tool_calls": [{"name": name, "arguments": {"entities": rels}}]}
        return {"tool_calls": []}  # delete_graph_memory: nothing to delete

    def _name(self, name: str) -> str:
        return self.user_id if name == "User" else name

    def _follow(self, prompt: str) -> None:
        for turn in self.turns:
            if turn["user"] in prompt:
                self.current = turn


def mem0_stream(server: ToolScriptedServer, args: argparse.Namespace) -> dict[str, Any]:
    turns, _ = load_turns()
    uid = f"cost-mem0-{uuid.uuid4().hex[:8]}"
    meter = Metered(Mem0Responder(turns, uid))
    server.reset()
    server.responder = meter
    with tempfile.TemporaryDirectory() as work:
        job = {
            "config": mem0_config(server, args.neo4j_uri, args.neo4j_password, Path(work)),
            "turns": [t["user"] for t in turns],
            "user_id": uid,
        }
        out = run_mem0_side("add_stream.py", job, args.mem0_python, 1800)
    cleanup_mem0_graph(args, uid)
    if "error" in out:
        return out
    rows = [window(server, meter, r["start"], r["end"]) for r in out["rows"]]
    errors = [r["error"] for r in out["rows"] if r["error"]]
    return {"rows": rows, "errors": errors}


def cleanup_mem0_graph(args: argparse.Namespace, uid: str) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(args.neo4j_uri, auth=("neo4j", args.neo4j_password)) as driver:
        driver.execute_query("MATCH (n:`__Entity__` {user_id: $u}) DETACH DELETE n", {"u": uid})


# -- report -----------------------------------------------------------------------------------


def totals(rows: list[dict[str, Any]]) -> dict[str, float]:
    n = len(rows)
    return {
        "adds": n,
        "llm_calls_per_add": round(sum(r["llm_calls"] for r in rows) / n, 3),
        "prompt_tokens_per_add": round(sum(r["prompt_tokens"] for r in rows) / n, 1),
        "completion_tokens_per_add": round(sum(r["completion_tokens"] for r in rows) / n, 1),
        "embedding_requests_per_add": round(sum(r["embedding_requests"] for r in rows) / n, 2),
        "max_llm_calls_in_one_add": max(r["llm_calls"] for r in rows),
        "median_llm_calls": statistics.median(r["llm_calls"] for r in rows),
    }


def report(ours: list[dict[str, Any]], mem0: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result: dict[str, Any] = {"graphmem": totals(ours), "graphmem_rows": ours}
    labels = [("graphmem", result["graphmem"])]
    if "rows" in mem0:
        result["mem0"] = totals(mem0["rows"])
        result["mem0_rows"] = mem0["rows"]
        result["mem0_add_errors"] = mem0["errors"]
        labels.append(("mem0ai 1.0.11 + graph", result["mem0"]))
    else:
        result["mem0_error"] = mem0
    keys = (
        "llm_calls_per_add",
        "prompt_tokens_per_add",
        "completion_tokens_per_add",
        "embedding_requests_per_add",
        "max_llm_calls_in_one_add",
    )
    rows = [[name, *(t[k] for k in keys)] for name, t in labels]
    text = markdown_table(("system (50 adds)", *keys), rows)
    return text, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--mem0-python", default=MEM0_PYTHON)
    parser.add_argument("--skip-mem0", action="store_true")
    args = parser.parse_args()
    server = ToolScriptedServer().start()
    try:
        ours = graphmem_stream(server, args)
        mem0 = {"error": "skipped (--skip-mem0)"} if args.skip_mem0 else mem0_stream(server, args)
    finally:
        server.stop()
    text, result = report(ours, mem0)
    print(text)
    if "mem0_error" in result:
        print(f"mem0 failed: {json.dumps(result['mem0_error'])[:2000]}")
    result |= {"machine": machine(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    save_json("cost_per_add.json", result)
    save_markdown("cost_per_add.md", "LLM cost per add, 50-turn conversation", f"{text}\n")


if __name__ == "__main__":
    main()
