"""graphmem vs mem0ai 1.0.11's graph memory search vs a brute-force cosine scan: same data,
same queries, same Neo4j, same run.

    python bench/peers_mem0.py --neo4j-uri bolt://127.0.0.1:27687 --neo4j-password ... \\
        --scale 100000

Needs the database bench/scale.py left at --scale (the Zipf(1) 1,000-user data set) and a
separate venv holding mem0ai==1.0.11 (--mem0-python, default /tmp/mem0-venv/bin/python;
see bench/README.md). mem0 is never imported here: bench/mem0_side/graph_search.py runs in
that venv as a subprocess.

The same data for mem0: mem0's graph memory stores entities (label __Entity__, with
base_label on; properties name, user_id, embedding) and typed relationships between them.
graphmem's entities and relations are copied into that shape inside the same Neo4j (one
Cypher statement, batched), with the same all-MiniLM-L6-v2 name vectors. The copy is removed
at the end.

mem0's LLM is the scripted server (tests/scripted_llm.py, extended here to answer OpenAI
tool calls, which mem0's graph memory uses): for each query it returns the entities of the
vocabulary the query names, as a good model would. mem0's embedder is the OpenAI-compatible
/v1/embeddings of that server, which computes real all-MiniLM-L6-v2 vectors. So mem0's
search makes its real calls: 1 LLM call, 1 embedding call per extracted entity, 1 cosine
scan per entity, BM25 rerank. The LLM answers at once here: with a hosted model that call
alone adds its network and generation latency, which these figures do not include.

Compared, per query, end to end (query text in, results out):
- graphmem search() (blended, top_k=10), embedding the query with the local ONNX model;
- graphmem search() with the query vector precomputed (no embedding);
- the brute-force scan: vector.similarity.cosine over every fact of the user, top 10;
- mem0 MemoryGraph.search(query, {"user_id": ...}) (its default limit=100, top 5 after BM25).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchlib import (  # noqa: E402
    PEOPLE,
    PLACES,
    THINGS,
    LookupEmbedder,
    Timings,
    local_embedder,
    machine,
    markdown_table,
    save_json,
    save_markdown,
)

from graphmem.memory import Memory  # noqa: E402
from tests.scripted_llm import (  # noqa: E402
    RecordedRequest,
    ScriptedLLMServer,
    _Handler,
    _HTTPServer,
    estimate_tokens,
)

MEM0_PYTHON = "/tmp/mem0-venv/bin/python"
MEM0_SIDE = REPO / "bench" / "mem0_side"
EMBED_MODEL = "all-minilm"
CHAT_MODEL = "scripted-model"

COPY_ENTITIES = """
MATCH (e:Entity) WHERE e.user_id IS NOT NULL AND e.embedding IS NOT NULL
CALL (e) {
  CREATE (m:`__Entity__` {name: replace(toLower(e.name), ' ', '_'), user_id: e.user_id,
                          mentions: 1, created: timestamp(), gm_id: e.id})
  WITH m, e CALL db.create.setNodeVectorProperty(m, 'embedding', e.embedding)
} IN TRANSACTIONS OF 5000 ROWS
"""
COPY_RELATIONS = """
MATCH (a:Entity)-[r]->(b:Entity)
CALL (a, r, b) {
  MATCH (ma:`__Entity__` {gm_id: a.id}), (mb:`__Entity__` {gm_id: b.id})
  CREATE (ma)-[:$(type(r)) {created_at: timestamp(), updated_at: timestamp(),
                            mentions: 1}]->(mb)
} IN TRANSACTIONS OF 5000 ROWS
"""
DROP_COPY = """
MATCH (m:`__Entity__`) CALL (m) { DETACH DELETE m } IN TRANSACTIONS OF 5000 ROWS
"""
GM_ID_INDEX = "CREATE INDEX bench_mem0_gm_id IF NOT EXISTS FOR (m:`__Entity__`) ON (m.gm_id)"


# -- a scripted server that also answers OpenAI tool calls --------------------------------


class _ToolHandler(_Handler):
    """The scripted server's handler, plus OpenAI `tools` requests answered with tool_calls.

    The responder returns {"tool_calls": [{"name": ..., "arguments": {...}}]} for those.
    """

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?")[0]
        if method != "POST" or path != "/v1/chat/completions":
            return super()._dispatch(method)
        body = self._read_body()
        if not (isinstance(body, dict) and body.get("tools")):
            self._replay(method, path, body)
            return None
        request = RecordedRequest(method, path, body, dict(self.headers.items()))
        self.llm._record(request)
        answer = self.llm._next_answer(request)
        self._send_tool_calls(request, answer if isinstance(answer, dict) else {})
        return None

    def _replay(self, method: str, path: str, body: Any) -> None:
        request = RecordedRequest(method, path, body, dict(self.headers.items()))
        self.llm._record(request)
        self._openai_chat(request)

    def _send_tool_calls(self, request: RecordedRequest, answer: dict[str, Any]) -> None:
        calls = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
            }
            for i, c in enumerate(answer.get("tool_calls", []))
        ]
        prompt = estimate_tokens(request.prompt_text)
        completion = estimate_tokens(json.dumps(calls)) if calls else 1
        message = {"role": "assistant", "content": None if calls else "", "refusal": None}
        if calls:
            message["tool_calls"] = calls
        self._send_json(
            200,
            {
                "id": f"chatcmpl-scripted-{self.llm._next_id()}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            },
        )


class ToolScriptedServer(ScriptedLLMServer):
    """ScriptedLLMServer whose OpenAI endpoint also speaks tool calls."""

    def start(self) -> ToolScriptedServer:
        self._http = _HTTPServer(("127.0.0.1", 0), _ToolHandler, self)
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="scripted-llm-tools", daemon=True
        )
        self._thread.start()
        return self


def tool_name(request: RecordedRequest) -> str | None:
    tools = request.body.get("tools") if isinstance(request.body, dict) else None
    return tools[0]["function"]["name"] if tools else None


# -- mem0 configuration ---------------------------------------------------------------------


def mem0_config(
    server: ScriptedLLMServer, uri: str, password: str, workdir: Path, graph: bool = True
) -> dict[str, Any]:
    """mem0 MemoryConfig: LLM and embedder on the scripted server, graph on our Neo4j."""
    config: dict[str, Any] = {
        "llm": {
            "provider": "openai",
            "config": {
                "model": CHAT_MODEL,
                "api_key": "scripted",
                "openai_base_url": server.openai_base_url,
                "temperature": 0,
            },
        },
        "embedder": {
            "provider": "openai",
            "config": {
                "model": EMBED_MODEL,
                "api_key": "scripted",
                "openai_base_url": server.openai_base_url,
                "embedding_dims": 384,
            },
        },
        "vector_store": {
            "provider": "qdrant",
            "config": {
                "collection_name": "bench",
                "path": str(workdir / "qdrant"),
                "embedding_model_dims": 384,
                "on_disk": True,
            },
        },
        "history_db_path": str(workdir / "history.db"),
        "version": "v1.1",
    }
    if graph:
        config["graph_store"] = {
            "provider": "neo4j",
            "config": {"url": uri, "username": "neo4j", "password": password, "base_label": True},
        }
    return config


def run_mem0_side(script: str, job: dict[str, Any], python: str, timeout_s: float) -> dict:
    """Run bench/mem0_side/<script> in the mem0 venv; its JSON output, or an error record."""
    with tempfile.TemporaryDirectory() as tmp:
        job_path, out_path = Path(tmp) / "job.json", Path(tmp) / "out.json"
        job_path.write_text(json.dumps(job))
        cmd = [python, str(MEM0_SIDE / script), "--job", str(job_path), "--out", str(out_path)]
        env = {**os.environ, "MEM0_TELEMETRY": "false", "OPENAI_API_KEY": "scripted"}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
        if proc.returncode != 0 or not out_path.exists():
            return {"error": f"{' '.join(cmd)} exited {proc.returncode}", "stderr": proc.stderr}
        return json.loads(out_path.read_text())


# -- search comparison ----------------------------------------------------------------------

ENTITY_TYPES = {
    **{p: "person" for p in PEOPLE},
    **{p: "location" for p in PLACES},
    **{t: "thing" for t in THINGS},
}


def search_responder(request: RecordedRequest) -> Any:
    """mem0's entity extraction for a query: the vocabulary entities the query names."""
    if tool_name(request) != "extract_entities":
        return {"tool_calls": []}
    question = request.messages[-1]["content"]
    found = [
        {"entity": name, "entity_type": kind}
        for name, kind in ENTITY_TYPES.items()
        if name.lower() in question.lower()
    ]
    return {"tool_calls": [{"name": "extract_entities", "arguments": {"entities": found}}]}


def copy_graph_to_mem0_shape(memory: Memory) -> dict[str, Any]:
    driver = memory.store.driver
    started = time.perf_counter()
    driver.execute_query(GM_ID_INDEX)
    driver.execute_query("CALL db.awaitIndexes(300)")
    with driver.session() as session:
        session.run(COPY_ENTITIES).consume()
        session.run(COPY_RELATIONS).consume()
    nodes = driver.execute_query("MATCH (m:`__Entity__`) RETURN count(m) AS n").records[0]["n"]
    rels = driver.execute_query(
        "MATCH (:`__Entity__`)-[r]->(:`__Entity__`) RETURN count(r) AS n"
    ).records[0]["n"]
    return {"nodes": nodes, "relations": rels, "seconds": round(time.perf_counter() - started, 1)}


def drop_copy(memory: Memory) -> None:
    with memory.store.driver.session() as session:
        session.run(DROP_COPY).consume()
    memory.store.driver.execute_query("DROP INDEX bench_mem0_gm_id IF EXISTS")


CPU_COST: dict[str, dict[str, float]] = {}


def graphmem_side(
    asked: list[tuple[str, str]],
    uri: str,
    password: str,
    query_vectors: dict[str, list[float]],
    server_pid: int = 0,
) -> dict[str, Timings]:
    """graphmem (with and without the embedding) and the scan, on the same queries."""
    from ingest import own_cpu, server_cpu
    from scale import scan

    conn = {"neo4j_uri": uri, "neo4j_password": password}
    memory = Memory(embedder=LookupEmbedder(dict(query_vectors)), **conn)
    e2e = Memory(embedder=local_embedder(), store=memory.store, **conn)
    out = {"graphmem_e2e": Timings(), "graphmem_no_embedding": Timings(), "scan": Timings()}
    for user, q in asked:  # warm-up
        e2e.search(q, user_id=user)
        scan(memory.store, user, query_vectors[q])
    runs = {
        "graphmem_e2e": lambda u, q: e2e.search(q, user_id=u),
        "graphmem_no_embedding": lambda u, q: memory.search(q, user_id=u),
        "scan": lambda u, q: scan(memory.store, u, query_vectors[q]),
    }
    cpu: dict[str, dict[str, float]] = {}
    for name, run in runs.items():
        client0, server0 = own_cpu(), server_cpu(server_pid)
        for user, q in asked:
            out[name].time(lambda u=user, q=q, run=run: run(u, q))
        cpu[name] = {
            "client_cpu_ms_per_search": round((own_cpu() - client0) * 1000 / len(asked), 2),
            "server_cpu_ms_per_search": round(
                (server_cpu(server_pid) - server0) * 1000 / len(asked), 2
            )
            if server_pid
            else None,
        }
    memory.close()
    CPU_COST.update(cpu)
    return out


TOTAL = (
    "MATCH (f:Fact) WHERE f.user_id =~ 'u[0-9]{4}' OR f.user_id = 'tenant-small' "
    "RETURN count(f) AS n"
)
HELD = "UNWIND $users AS u MATCH (f:Fact {user_id: u}) RETURN u AS user, count(f) AS n"


def held_facts(memory: Memory, users: list[str]) -> dict[str, int]:
    """How many facts scale.py has written for each user (a load may stop part-way)."""
    return {r["user"]: int(r["n"]) for r in memory.store.read(HELD, {"users": users})}


def compare(args: argparse.Namespace) -> dict[str, Any]:
    from scale import SAMPLED_RANKS, SMALL_TENANT, Corpus, questions, user_name

    corpus = Corpus(args.cache)
    memory = Memory(
        neo4j_uri=args.neo4j_uri,
        neo4j_password=args.neo4j_password,
        embedder=LookupEmbedder(dict(corpus.query_vectors)),
    )
    loaded = held_facts(memory, [user_name(r) for r in SAMPLED_RANKS] + [SMALL_TENANT])
    args.scale = int(memory.store.read(TOTAL, {})[0]["n"])
    asked = questions(corpus, loaded, args.per_user)
    copied = copy_graph_to_mem0_shape(memory)
    print(f"copied graphmem's graph into mem0's shape: {copied}", flush=True)
    server = ToolScriptedServer().start()
    server.responder = search_responder
    try:
        with tempfile.TemporaryDirectory() as work:
            job = {
                "config": mem0_config(server, args.neo4j_uri, args.neo4j_password, Path(work)),
                "queries": [list(a) for a in asked],
            }
            loads = [os.getloadavg()[0]]
            mem0 = run_mem0_side("graph_search.py", job, args.mem0_python, 3600)
        loads.append(os.getloadavg()[0])
        ours = graphmem_side(
            asked, args.neo4j_uri, args.neo4j_password, corpus.query_vectors, args.server_pid
        )
        loads.append(os.getloadavg()[0])
        mem0["load_average_1m_mem0_start_end_graphmem_end"] = [round(x, 1) for x in loads]
    finally:
        server.stop()
        drop_copy(memory)
        memory.close()
    return summarise(args, asked, copied, mem0, ours)


def summarise(
    args: argparse.Namespace,
    asked: list[tuple[str, str]],
    copied: dict[str, Any],
    mem0: dict[str, Any],
    ours: dict[str, Timings],
) -> dict[str, Any]:
    result: dict[str, Any] = {"scale": args.scale, "queries": len(asked), "mem0_copy": copied}
    result["cpu_cost"] = CPU_COST
    result["load_average_1m"] = mem0.pop("load_average_1m_mem0_start_end_graphmem_end", None)
    result |= {k: v.summary() for k, v in ours.items()}
    if "error" in mem0:
        result["mem0_error"] = mem0
        return result
    rows = mem0["rows"]
    result["mem0_graph_search"] = Timings([r["total_ms"] for r in rows]).summary()
    for part in ("llm", "embed", "neo4j"):
        result[f"mem0_{part}_ms_median"] = round(
            float(sorted(r["ms"].get(part, 0.0) for r in rows)[len(rows) // 2]), 2
        )
    result["mem0_llm_calls_per_search"] = sum(r["calls"].get("llm", 0) for r in rows) / len(rows)
    result["mem0_embed_calls_per_search"] = sum(r["calls"].get("embed", 0) for r in rows) / len(
        rows
    )
    result["mem0_empty_results"] = sum(1 for r in rows if not r["results"])
    g = ours["graphmem_e2e"]
    m = Timings([r["total_ms"] for r in rows])
    result["speedup_p50_e2e"] = round(m.pct(50) / g.pct(50), 2)
    result["speedup_p95_e2e"] = round(m.pct(95) / g.pct(95), 2)
    rest = Timings([r["total_ms"] - r["ms"].get("llm", 0.0) for r in rows])
    result["mem0_graph_search_without_llm_call"] = rest.summary()
    result["speedup_p50_e2e_mem0_without_llm_call"] = round(rest.pct(50) / g.pct(50), 2)
    return result


def table(result: dict[str, Any]) -> str:
    rows = []
    base = result["graphmem_e2e"]["p50_ms"]
    for key, label in (
        ("graphmem_e2e", "graphmem search(), end to end"),
        ("graphmem_no_embedding", "graphmem search(), query vector precomputed"),
        ("scan", "brute-force cosine scan of the user's facts (server only)"),
        ("mem0_graph_search", "mem0 1.0.11 graph search, end to end (LLM answered at once)"),
        ("mem0_graph_search_without_llm_call", "mem0 1.0.11 graph search minus its LLM call"),
    ):
        if key in result:
            s = result[key]
            rows.append(
                [label, s["p50_ms"], s["p95_ms"], s["p99_ms"], round(s["p50_ms"] / base, 2)]
            )
    return markdown_table(("system", "p50 ms", "p95 ms", "p99 ms", "p50 / graphmem e2e p50"), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--scale", type=int, default=0, help="(read from the database)")
    parser.add_argument("--per-user", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/graphmem-bench-cache"))
    parser.add_argument("--mem0-python", default=MEM0_PYTHON)
    parser.add_argument("--server-pid", type=int, default=0, help="Neo4j pid, for its CPU time")
    args = parser.parse_args()
    result = compare(args)
    text = table(result)
    print(text)
    if "mem0_error" in result:
        print(f"mem0 failed: {result['mem0_error']['error']}\n{result['mem0_error']['stderr']}")
    result |= {"machine": machine(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    save_json("peers_search.json", result)
    save_markdown(
        "peers_search.md",
        f"Search at {args.scale:,} facts: graphmem vs peers",
        f"{machine()}\n\n{text}\n",
    )


if __name__ == "__main__":
    main()
