"""Runs in the mem0 venv: time mem0ai 1.0.11's graph memory search (MemoryGraph.search).

    /tmp/mem0-venv/bin/python bench/mem0_side/graph_search.py --job job.json --out out.json

job.json: {"config": <mem0 MemoryConfig dict>, "queries": [[user_id, query], ...],
"warmup": true}. The LLM and embedder in the config point at the scripted server on
127.0.0.1. Each search is timed whole; the LLM call, the embedding calls and the Neo4j
queries inside it are timed too (by wrapping the objects mem0 calls, not by changing mem0).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

os.environ.setdefault("MEM0_TELEMETRY", "false")

from mem0.configs.base import MemoryConfig
from mem0.memory.graph_memory import MemoryGraph


class Clock:
    """Accumulates the time spent in wrapped calls, per kind."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, kind: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[kind] = self.spent.get(kind, 0.0) + time.perf_counter() - start
                self.calls[kind] = self.calls.get(kind, 0) + 1

        return timed

    def take(self) -> dict[str, Any]:
        out = {
            "ms": {k: round(v * 1000, 3) for k, v in self.spent.items()},
            "calls": dict(self.calls),
        }
        self.spent, self.calls = {}, {}
        return out


def instrumented(config: dict[str, Any]) -> tuple[MemoryGraph, Clock]:
    graph = MemoryGraph(MemoryConfig(**config))
    clock = Clock()
    graph.llm.generate_response = clock.wrap("llm", graph.llm.generate_response)
    graph.embedding_model.embed = clock.wrap("embed", graph.embedding_model.embed)
    graph.graph.query = clock.wrap("neo4j", graph.graph.query)
    return graph, clock


def run(job: dict[str, Any]) -> dict[str, Any]:
    graph, clock = instrumented(job["config"])
    if job.get("warmup", True):
        for user, query in job["queries"]:
            graph.search(query, {"user_id": user}, limit=100)
    clock.take()
    rows = []
    for user, query in job["queries"]:
        start = time.perf_counter()
        found = graph.search(query, {"user_id": user}, limit=100)
        total = (time.perf_counter() - start) * 1000
        rows.append(
            {
                **clock.take(),
                "user": user,
                "query": query,
                "total_ms": round(total, 3),
                "results": found,
            }
        )
    return {"rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.job, encoding="utf-8") as fh:
        job = json.load(fh)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(run(job), fh)


if __name__ == "__main__":
    main()
