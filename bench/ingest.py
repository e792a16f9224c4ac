"""Ingest throughput through Memory.add_facts: facts/s and relations/s, peak Python RSS.

    python bench/ingest.py --neo4j-uri bolt://127.0.0.1:27687 --neo4j-password ...

Two modes, each in its own child process (so each peak RSS is its own):

- precomputed: the fact and entity vectors are computed before the clock starts and handed
  in through an Embedder that looks them up (add_facts embeds through its embedder; this one
  answers from a table), so the figure is graphmem's write path alone;
- local: the same call with the local ONNX all-MiniLM-L6-v2 embedder (real inference).

Facts are generated sentences (bench/benchlib.py), each with 2-3 typed entities and 1-2
relations, written as add_facts calls of --per-call facts into --users user scopes (each call
is one transaction through graphmem's normal write path). The scopes are removed afterwards.
--writers N runs the calls from N threads sharing one Memory, each thread its own users (a
service ingesting for many users at once), so the client's work overlaps the server's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import (
    SEED,
    FactSpec,
    LookupEmbedder,
    embed_cached,
    entity_names,
    fact_pool,
    local_embedder,
    machine,
    markdown_table,
    save_json,
    save_markdown,
)

from graphmem.memory import Memory


def fact_input(spec: FactSpec) -> dict[str, Any]:
    entities = [{"name": spec.person, "type": "Person"}, {"name": spec.thing, "type": "Thing"}]
    relations = [{"source": spec.person, "relation": spec.relation, "target": spec.thing}]
    if spec.place:
        entities.append({"name": spec.place, "type": "Place"})
        relations.append(
            {"source": spec.person, "relation": "SPENDS_TIME_IN", "target": spec.place}
        )
    return {"text": spec.text, "entities": entities, "relations": relations}


def precomputed(texts: list[str], cache: Path) -> np.ndarray:
    """Vectors of the texts: a prefix of scale.py's pool cache when it holds them."""
    pool, names = cache / "pool.npy", cache / "pool.json"
    if pool.exists() and names.exists():
        held = json.loads(names.read_text())
        if held[: len(texts)] == texts:
            return np.load(pool)[: len(texts)]
    return embed_cached(texts, cache / f"ingest_{len(texts)}.npy")


def child(args: argparse.Namespace) -> dict[str, Any]:
    """One mode, in this process: returns throughput and peak RSS."""
    specs = fact_pool(args.facts, seed=args.seed)
    if args.mode == "precomputed":
        vectors = precomputed([s.text for s in specs], args.cache)
        names = entity_names()
        table = dict(zip([s.text for s in specs], vectors.tolist(), strict=True))
        entity_vectors = embed_cached(names, args.cache / "entities.npy").tolist()
        table |= dict(zip(names, entity_vectors, strict=True))
        embedder = LookupEmbedder(table)
    else:
        embedder = local_embedder()
    memory = Memory(embedder=embedder, neo4j_uri=args.uri, neo4j_password=args.password)
    users = [f"ingest-{args.mode}-{i:03d}" for i in range(args.users)]
    calls = [
        (users[(i // args.per_call) % len(users)], specs[i : i + args.per_call])
        for i in range(0, len(specs), args.per_call)
    ]
    payloads = [(u, [fact_input(s) for s in chunk]) for u, chunk in calls]
    relations = sum(len(f["relations"]) for _, p in payloads for f in p)
    lanes = [[p for p in payloads if users.index(p[0]) % args.writers == w]
             for w in range(args.writers)]  # fmt: skip

    def write(lane: list[tuple[str, list[dict[str, Any]]]]) -> None:
        for user, facts in lane:
            memory.add_facts(facts, user_id=user)

    with ThreadPoolExecutor(args.writers) as pool:
        start, cpu0, server0 = time.perf_counter(), own_cpu(), server_cpu(args.server_pid)
        list(pool.map(write, lanes))
    seconds = time.perf_counter() - start
    client_cpu, server_cpu_s = own_cpu() - cpu0, server_cpu(args.server_pid) - server0
    for user in users:
        memory.reset(user_id=user)
    memory.close()
    return {
        "mode": args.mode,
        "facts": len(specs),
        "relations": relations,
        "seconds": round(seconds, 2),
        "facts_per_s": round(len(specs) / seconds, 1),
        "relations_per_s": round(relations / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "per_call": args.per_call,
        "writers": args.writers,
        "cpu_s_client": round(client_cpu, 2),
        "cpu_s_server": round(server_cpu_s, 2) if args.server_pid else None,
        "facts_per_cpu_s": round(len(specs) / (client_cpu + server_cpu_s), 1)
        if args.server_pid
        else None,
        "load_average_1m_end": round(os.getloadavg()[0], 1),
    }


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu(pid: int | None) -> float:
    """CPU seconds the Neo4j server process has used so far (0 when not given)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_mode(args: argparse.Namespace, mode: str, facts: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--mode", mode, "--facts", str(facts)]
    cmd += ["--uri", args.uri, "--password", args.password, "--users", str(args.users)]
    cmd += ["--per-call", str(args.per_call), "--cache", str(args.cache)]
    cmd += ["--server-pid", str(args.server_pid or 0), "--writers", str(args.writers)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"mode": mode, "error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", dest="uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--uri", dest="uri")
    parser.add_argument("--neo4j-password", dest="password", default="graphmem-local")
    parser.add_argument("--password", dest="password")
    parser.add_argument("--facts", type=int, default=10_000, help="precomputed mode")
    parser.add_argument("--local-facts", type=int, default=2_000, help="local-embedder mode")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--per-call", type=int, default=100)
    parser.add_argument("--writers", type=int, default=1, help="threads adding at once")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/graphmem-bench-cache"))
    parser.add_argument("--mode", choices=("precomputed", "local"))
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--server-pid", type=int, default=0, help="Neo4j pid, for its CPU time")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    results = [run_mode(args, "precomputed", args.facts), run_mode(args, "local", args.local_facts)]
    keys = (
        "facts",
        "relations",
        "seconds",
        "facts_per_s",
        "relations_per_s",
        "peak_rss_mb",
        "facts_per_cpu_s",
    )
    rows = [[r["mode"], *(r.get(k, "error") for k in keys)] for r in results]
    text = markdown_table(("embeddings", *keys), rows)
    print(text)
    for r in results:
        if "error" in r:
            print(f"{r['mode']} failed:\n{r['error']}")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save_json("ingest.json", {"machine": machine(), "date": stamp, "results": results})
    save_markdown("ingest.md", "Ingest through add_facts", f"{machine()}\n\n{text}\n")


if __name__ == "__main__":
    main()
