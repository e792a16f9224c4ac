"""Where one search's time goes: every statement's server and client time, and the Python.

Runs on the data bench/scale.py writes (the same corpus, users and questions): against a
server scale.py already filled (--neo4j-uri of it, with the same --cache), or, on an empty
server, after loading --facts facts itself through scale.py's loader. For the small tenant
(200 facts) and the sampled users nearest --sizes facts, it runs --per-user searches
(top_k=10, query vector looked up, as scale.py's "search p50") and reports per search:

- each statement (its cypher/ file name): runs, rows, the server's time (the driver
  summary's result_available_after + result_consumed_after) and the client's (send to last
  record decoded: server time + network + decoding);
- Python: the search's wall time minus the statements' client time (recall's own stages);
- a cProfile pass (separate, since profiling slows it) splitting the client's CPU by module:
  graphmem's recall stages, the driver (packing, network, decoding), numpy.

    python bench/profile_search.py --neo4j-uri bolt://127.0.0.1:7687 --neo4j-password ... \
        --label before

Writes bench/results/profile_search_<label>.{md,json}.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import (
    LookupEmbedder,
    local_embedder,
    machine,
    markdown_table,
    save_json,
    save_markdown,
)
from scale import (
    HELD,
    SAMPLED_RANKS,
    SMALL_TENANT,
    BulkWriter,
    Corpus,
    fresh,
    load_to,
    questions,
    user_name,
)

from graphmem.memory import Memory
from graphmem.resources import resource_dir
from graphmem.store.neo4j import StatementTiming, traced_statements

# cProfile's files -> the part of the search they are.
MODULE_PARTS = (
    ("graphmem/paths.py", "paths (beam search)"),
    ("graphmem/relations.py", "relation matching"),
    ("graphmem/words.py", "query words"),
    ("graphmem/proximity.py", "PageRank"),
    ("graphmem/recall.py", "recall (scoring, MMR, results)"),
    ("graphmem/store/", "store (parameters, records)"),
    ("graphmem/", "graphmem, other"),
    ("neo4j/", "driver (packing, network, decoding)"),
    ("numpy/", "numpy"),
)


def statement_names() -> dict[str, str]:
    """The first line of each cypher/ file -> its name (filters only change later lines)."""
    root = resource_dir("cypher")
    return {
        path.read_text(encoding="utf-8").splitlines()[0]: str(path.relative_to(root))[:-7]
        for path in sorted(root.rglob("*.cypher"))
    }


def name_of(timing: StatementTiming, names: dict[str, str]) -> str:
    return names.get(timing.statement.splitlines()[0], "(inline)")


def profile_user(
    memory: Memory, asked: list[str], user: str, names: dict[str, str]
) -> dict[str, Any]:
    """Per statement and for Python: medians per search over the asked questions."""
    for q in asked:  # warm-up: page cache, plans, recall's caches
        memory.search(q, user_id=user)
    totals: list[float] = []
    python: list[float] = []
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for q in asked:
        with traced_statements() as trace:
            start = time.perf_counter()
            memory.search(q, user_id=user)
            total = (time.perf_counter() - start) * 1000
        totals.append(total)
        python.append(total - sum(t.client_ms for t in trace))
        seen: dict[str, list[StatementTiming]] = defaultdict(list)
        for t in trace:
            seen[name_of(t, names)].append(t)
        for name in {*per, *seen}:
            runs = seen.get(name, [])
            per[name]["runs"].append(len(runs))
            per[name]["rows"].append(sum(t.rows for t in runs))
            per[name]["server_ms"].append(sum(t.server_ms for t in runs))
            per[name]["client_ms"].append(sum(t.client_ms for t in runs))
    n = len(asked)

    def mean(values: list[float]) -> float:  # statements absent from a search count as 0
        return round(sum(values) / n, 2)

    return {
        "searches": n,
        "total_ms_p50": round(statistics.median(totals), 2),
        "total_ms_mean": round(statistics.fmean(totals), 2),
        "python_ms_mean": round(statistics.fmean(python), 2),
        "statements": {
            name: {key: mean(values) for key, values in row.items()}
            for name, row in sorted(per.items())
        },
    }


def cpu_split(memory: Memory, asked: list[tuple[str, str]]) -> dict[str, float]:
    """Client CPU per search by part (cProfile's own time per function, grouped by file)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for user, q in asked:
        memory.search(q, user_id=user)
    profiler.disable()
    parts: dict[str, float] = defaultdict(float)
    for (file, _, function), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        own = row[2]  # tottime
        if "socket" in function or "select" in function:
            part = "waiting for Neo4j (socket reads)"
        else:
            part = next((label for key, label in MODULE_PARTS if key in file), "other")
        parts[part] += own
    return {p: round(s * 1000 / len(asked), 2) for p, s in sorted(parts.items())}


def chosen_users(loaded: dict[str, int], sizes: list[int]) -> list[str]:
    """The small tenant and, per size, the sampled user holding the nearest number of facts."""
    sampled = [user_name(r) for r in SAMPLED_RANKS if user_name(r) in loaded]
    users = [SMALL_TENANT]
    for size in sizes:
        best = min(sampled, key=lambda u: abs(np.log(loaded[u] / size)))
        if best not in users:
            users.append(best)
    return users


def report(label: str, note: str, profiles: dict[str, Any], cpu: dict[str, float]) -> str:
    lines = [f"{machine()}\n\nrun {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {note}"]
    for user, p in profiles.items():
        rows = [
            [name, s["runs"], s["rows"], s["server_ms"], s["client_ms"]]
            for name, s in p["statements"].items()
        ]
        rows.append(
            ["Python (search wall - statements' client time)", "", "", "", p["python_ms_mean"]]
        )
        rows.append(["search (wall)", "", "", "", p["total_ms_mean"]])
        lines.append(
            f"\n## {user}: {p['facts']:,} facts, {p['searches']} searches, "
            f"wall p50 {p['total_ms_p50']} ms\n\nMeans per search:\n\n"
            + markdown_table(("statement", "runs", "rows", "server ms", "client ms"), rows)
        )
    lines.append(
        "\n## Client CPU by part (cProfile, own time per search over all users' questions; "
        "profiling inflates it, read the shares)\n\n"
        + markdown_table(("part", "ms per search"), sorted(cpu.items(), key=lambda x: -x[1]))
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", required=True)
    parser.add_argument("--neo4j-password", required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/graphmem-bench-cache"))
    parser.add_argument("--facts", type=int, default=100_000, help="loaded if the server is empty")
    parser.add_argument("--sizes", default="1000,10000", help="tenant sizes to profile")
    parser.add_argument("--per-user", type=int, default=20)
    parser.add_argument("--label", default="now")
    parser.add_argument("--note", default="", help="server, heap, code version: for the record")
    args = parser.parse_args()
    corpus = Corpus(args.cache)
    lookup = LookupEmbedder(dict(corpus.query_vectors), fallback=local_embedder())
    memory = Memory(embedder=lookup, neo4j_uri=args.neo4j_uri, neo4j_password=args.neo4j_password)
    loaded: dict[str, int] = {}
    if fresh(memory.store):
        writer = BulkWriter(memory.store)
        print(load_to(writer, corpus, args.facts, 1000, loaded, 2000, float("inf")), flush=True)
        writer.close()
    loaded = {r["user"]: int(r["n"]) for r in memory.store.read(HELD, {"small": SMALL_TENANT})}
    users = chosen_users(loaded, [int(s) for s in args.sizes.split(",")])
    asked = [(u, q) for u, q in questions(corpus, loaded, args.per_user) if u in users]
    names = statement_names()
    profiles = {}
    for user in users:
        mine = [q for u, q in asked if u == user]
        profiles[user] = {"facts": loaded[user], **profile_user(memory, mine, user, names)}
    cpu = cpu_split(memory, asked)
    body = report(args.label, args.note, profiles, cpu)
    print(body)
    payload = {"machine": machine(), "note": args.note, "users": profiles, "cpu_ms": cpu}
    save_json(f"profile_search_{args.label}.json", payload)
    save_markdown(f"profile_search_{args.label}.md", f"Search profile: {args.label}", body)
    memory.close()


if __name__ == "__main__":
    main()
