"""Stress: a soak of adds (add_facts) and searches interleaved from worker threads, then
hostile input, concurrent writers and a Neo4j restart mid-stream, on a Neo4j of its own.

    python bench/stress.py                       # 10k adds + 10k searches, 4 workers
    python bench/stress.py --adds 2000 --searches 2000 --skip-faults
    python bench/stress.py --only fairness --out stress_fairness.md   # one scenario alone

Prints one table (and writes bench/results/stress.md): operations attempted, failed (and
why), items lost, duplicate entities, cross-scope leaks, Cypher injections, p95 drift and
RSS growth over the soak. Everything runs on 127.0.0.1 and stops by itself: a dedicated
Neo4j from graphmem.neo4j_server in a temp home (stopped at the end), the scripted LLM
from tests/ for the adds that infer.

How each figure is measured:
- lost: every id an add returned, looked up in the database afterwards; missing ones count.
- duplicate entities: (scope_key, key) pairs held by more than one Entity node.
- cross-scope leaks: search results whose user_id or text marker belongs to another scope,
  plus edges joining nodes of two scopes (tests/invariants.py).
- Cypher injections: hostile operations after which a canary node is gone, or the database
  outside the hostile scope changed shape, or an unsanitised label/type appeared.
- p95 drift: p95 latency of the last tenth of each operation type over its second tenth
  (the first tenth is warm-up).
- RSS growth: this process's resident set (and the Neo4j JVM's) at the end minus after the
  first tenth of the soak (warm-up excluded: model, caches, connection pool).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import fairness  # noqa: E402
from benchlib import fact_pool, machine, markdown_table, save_markdown  # noqa: E402

from graphmem.config import Settings  # noqa: E402
from graphmem.embed.local import LocalEmbedder  # noqa: E402
from graphmem.memory import Memory  # noqa: E402
from tests import invariants  # noqa: E402
from tests.neo4j_session import free_ports  # noqa: E402
from tests.scripted_llm import ScriptedLLMServer, model_path_for_tests  # noqa: E402
from tests.test_concurrency_async import responder, turn_text  # noqa: E402
from tests.test_faults import Dedicated, run_fault_stream  # noqa: E402
from tests.test_hostile_input import HOSTILE, LUCENE, REFUSED, hostile_facts  # noqa: E402

CITIES = ["Amsterdam", "Berlin", "Utrecht", "Lisbon", "Porto", "Oslo", "Turin", "Ghent"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---- the soak -------------------------------------------------------------------------------


@dataclass
class Soak:
    """What the soak's workers did."""

    ops: list[tuple[str, float]] = field(default_factory=list)  # (kind, ms) in finish order
    failed: Counter[str] = field(default_factory=Counter)
    added: dict[str, str] = field(default_factory=dict)  # fact id -> user
    leaks: list[str] = field(default_factory=list)
    rss: list[tuple[int, int, int]] = field(default_factory=list)  # (ops done, self, neo4j)
    lock: threading.Lock = field(default_factory=threading.Lock)


def soak(
    memory: Memory, adds: int, searches: int, workers: int, users: int, neo4j_pid: int | None
) -> Soak:
    """`workers` threads, each owning `users / workers` scopes, adding and searching in turn."""
    result = Soak()
    pool = fact_pool(max(adds, 1))
    tag = uuid.uuid4().hex[:6]
    scopes = [f"soak-{tag}-u{i}" for i in range(users)]
    total = adds + searches
    plan = ["add"] * adds + ["search"] * searches
    random.Random(7).shuffle(plan)
    # adds first in each worker's first few steps, so early searches have something to find
    shares = [plan[w::workers] for w in range(workers)]
    done = [0]

    def step(kind: str, user: str, n: int) -> None:
        spec = pool[n % len(pool)]
        start = time.perf_counter()
        try:
            if kind == "add":
                fact = {
                    "text": f"[{user}] {spec.text}",
                    "entities": [{"name": spec.person, "type": "Person"}, {"name": spec.thing}],
                    "relations": [
                        {"source": spec.person, "relation": spec.relation, "target": spec.thing}
                    ],
                    "metadata": {"n": n},
                }
                out = memory.add_facts([fact], user_id=user)
                ids = {r["id"]: user for r in out["results"]}
                with result.lock:
                    result.added.update(ids)
            else:
                out = memory.search(f"What about {spec.person} and {spec.thing}?", user_id=user)
                bad = [
                    r["id"]
                    for r in out["results"]
                    if r.get("user_id") != user or not r["memory"].startswith(f"[{user}]")
                ]
                if bad:
                    with result.lock:
                        result.leaks += bad
        except Exception as exc:  # counted by kind and reason; the soak goes on
            with result.lock:
                result.failed[f"{kind}: {type(exc).__name__}: {str(exc)[:80]}"] += 1
            return
        elapsed = (time.perf_counter() - start) * 1000
        with result.lock:
            result.ops.append((kind, elapsed))
            done[0] += 1
            if done[0] % max(1, total // 50) == 0:
                result.rss.append((done[0], rss_kb(), rss_kb(neo4j_pid) if neo4j_pid else 0))
            if done[0] % max(1, total // 20) == 0:
                log(f"soak: {done[0]}/{total} operations")

    def worker(w: int) -> None:
        mine = scopes[w::workers]
        for n, kind in enumerate(shares[w]):
            step(kind, mine[n % len(mine)], w * 1_000_000 + n)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def drift(ops: list[tuple[str, float]], kind: str) -> tuple[float, float, float]:
    """p95 (ms) of the second tenth (the first is warm-up: cold JVM, caches, pool) and of
    the last tenth of one kind of operation, and their ratio."""
    times = [ms for k, ms in ops if k == kind]
    tenth = max(1, len(times) // 10)
    first = np.percentile(times[tenth : 2 * tenth], 95)
    last = np.percentile(times[-tenth:], 95)
    return float(first), float(last), float(last / first)


def lost_items(memory: Memory, added: dict[str, str]) -> int:
    ids = list(added)
    found = 0
    for start in range(0, len(ids), 5000):
        records = memory.store.read(
            "UNWIND $ids AS id MATCH (f:Fact {id: id}) RETURN count(f) AS n",
            {"ids": ids[start : start + 5000]},
        )
        found += records[0]["n"]
    return len(ids) - found


def duplicate_entities(memory: Memory) -> int:
    records = memory.store.read(
        "MATCH (e:Entity) WITH e.scope_key AS s, e.key AS k, count(*) AS c WHERE c > 1 "
        "RETURN coalesce(sum(c - 1), 0) AS extra",
        {},
    )
    return int(records[0]["extra"])


# ---- hostile input on the soaked database -----------------------------------------------------


def hostile(memory: Memory) -> dict[str, Any]:
    """Every refused case of tests/test_hostile_input.py, hostile writes and reads; count
    unclear errors, changed databases and dead canaries."""
    driver, db = memory.store.driver, memory.store.database
    canary = uuid.uuid4().hex
    driver.execute_query("CREATE (:StressCanary {id: $id})", id=canary, database_=db)
    user = f"hostile-{uuid.uuid4().hex[:6]}"
    figures = Counter[str]()

    def alive() -> bool:
        records, _, _ = driver.execute_query(
            "MATCH (c:StressCanary {id: $id}) RETURN count(c) AS n", id=canary, database_=db
        )
        return records[0]["n"] == 1

    memory.add_facts(["Alice lives in Utrecht."], user_id=user)
    for case, (call, error) in REFUSED.items():
        before = invariants.snapshot(driver, db)
        figures["attempted"] += 1
        try:
            call(memory, user)
            figures["accepted (should be refused)"] += 1
        except error:
            pass
        except Exception as exc:  # not the clear error the case expects
            figures[f"unclear error: {case}: {type(exc).__name__}"] += 1
        if invariants.snapshot(driver, db) != before or not alive():
            figures["injections"] += 1
    outside = invariants.snapshot(driver, db, exclude_user_ids=[user])
    figures["attempted"] += len(HOSTILE)
    memory.add_facts(hostile_facts(), user_id=user)
    for text in HOSTILE + LUCENE:
        figures["attempted"] += 3
        memory.search(text, user_id=user)
        memory.get_all(user_id=user, filters={"note": text})
        memory.entity_history(text, user_id=user)
    after = invariants.snapshot(driver, db, exclude_user_ids=[user])
    strip = {"labels": None, "types": None}
    if after | strip != outside | strip or not alive():
        figures["injections"] += 1
    records, _, _ = driver.execute_query(
        "MATCH (e:Entity {user_id: $u}) OPTIONAL MATCH (e)-[r]->() "
        "RETURN labels(e) AS labels, collect(type(r)) AS types",
        u=user,
        database_=db,
    )
    for record in records:
        bad_types = [t for t in record["types"] if not t.replace("_", "A").isalnum()]
        if bad_types or len(record["labels"]) != 2:
            figures["injections"] += 1
    memory.reset(user_id=user)
    driver.execute_query("MATCH (c:StressCanary {id: $id}) DELETE c", id=canary, database_=db)
    return dict(figures)


# ---- concurrent writers ------------------------------------------------------------------------


def concurrent_same_fact(memory: Memory, writers: int = 8) -> dict[str, int]:
    """`writers` threads add the same sentence (inferred) at once: copies stored, twins made."""
    user = f"race-{uuid.uuid4().hex[:6]}"
    text = turn_text(0, 0)
    threads = [
        threading.Thread(target=lambda: memory.add(text, user_id=user)) for _ in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = invariants.counts(memory.store.driver, memory.store.database, user_ids=[user])
    report = invariants.check(memory.store.driver, memory.store.database, user_ids=[user])
    memory.reset(user_id=user)
    return {
        "fact copies": counts["facts"],
        "entities (expected 3)": counts["entities"],
        "violations": sum(map(len, report.violations.values())),
    }


# ---- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adds", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--out", default="stress.md")
    parser.add_argument(
        "--only",
        choices=["fairness"],
        help="Run one scenario alone (fairness: one API key floods the REST server).",
    )
    parser.add_argument(
        "--fairness-limits",
        default="1000,4",
        help="Per-key limits to run the fairness scenario with (1000: effectively none).",
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="graphmem-stress-"))
    server = Dedicated(home / "neo4j", *free_ports(2))
    log(f"starting Neo4j in {server.home}")
    server.start()
    llm = ScriptedLLMServer().start()
    llm.responder = responder
    embedder = LocalEmbedder(path=model_path_for_tests())
    settings = Settings(
        neo4j_uri=server.uri,
        neo4j_password=server.password,
        embedder_path=model_path_for_tests(),
        llm_base_url=llm.url,
        data_dir=home / "data",
    )
    try:
        with Memory(settings, embedder=embedder) as memory:
            rows, notes = ([], []) if args.only else run(memory, server, args)
            fairness_rows, fairness_notes = run_fairness(memory, settings, args)
            rows += fairness_rows
            notes += fairness_notes
    finally:
        llm.stop()
        server.stop()
    body = "\n\n".join(
        [
            f"Machine: {machine()} (shared with other engineers' test runs while measured).",
            f"Command: `python bench/stress.py {' '.join(sys.argv[1:])}`",
            markdown_table(["figure", "value"], rows),
            *notes,
            *([] if args.only else [scale_note(args)]),
        ]
    )
    print(body)
    path = save_markdown(args.out, "Stress: soak, hostile input, concurrency, faults", body)
    log(f"written {path}")


def scale_note(args: argparse.Namespace) -> str:
    """Say what ran; nothing is extrapolated to the full 10k + 10k."""
    full = args.adds >= 10_000 and args.searches >= 10_000
    scale = "the full scale" if full else "scaled down from 10,000 + 10,000; nothing extrapolated"
    return (
        f"Soak: {args.adds:,} add_facts calls (one fact, two entities, one relation each) and "
        f"{args.searches:,} searches, interleaved at random, from {args.workers} worker threads "
        f"over {args.users} user scopes ({scale}). The '8 concurrent adds of one sentence' "
        "rows check that writers of one scope are serialised: one fact, three entities."
    )


def run_fairness(
    memory: Memory, settings: Settings, args: argparse.Namespace
) -> tuple[list[list[Any]], list[str]]:
    """One key floods (128 searches, 64 in flight), another searches: its p95 against idle."""
    users = (f"flooder-{uuid.uuid4().hex[:6]}", f"bystander-{uuid.uuid4().hex[:6]}")
    log("fairness: seeding two users")
    fairness.seed(memory, users)
    rows: list[list[Any]] = []
    for limit in (int(x) for x in args.fairness_limits.split(",")):
        (port,) = free_ports(1)
        found = fairness.measure(settings, port, limit, users, log=log)
        name = "no limit" if limit >= 64 else f"limit {limit}"
        rows += [
            [
                f"fairness, {name}: other key's search p95 ms, idle -> flood (x)",
                f"{found.idle_p95_ms:.0f} -> {found.flood_p95_ms:.0f} (x{found.ratio:.1f})",
            ],
            [
                f"fairness, {name}: flood of {found.flood_searches} searches took s (429s)",
                f"{found.flood_s:.1f} ({found.flood_429})",
            ],
        ]
    for user in users:
        memory.reset(user_id=user)
    note = (
        "Fairness (issue 13, F6): `graphmem serve` in its own process with two API keys; key A "
        "sends 128 searches from 64 threads at once (a 429 retried after its Retry-After), "
        "key B searches one at a time meanwhile; B's p95 against B's p95 with the server idle."
    )
    return rows, [note]


def neo4j_pid(server: Dedicated) -> int | None:
    from graphmem import neo4j_server

    return neo4j_server.status(server.home).pid


def run(memory: Memory, server: Dedicated, args: argparse.Namespace) -> tuple[list, list[str]]:
    rows: list[list[Any]] = []
    notes: list[str] = []
    log(f"soak: {args.adds} adds + {args.searches} searches from {args.workers} workers")
    started = time.perf_counter()
    result = soak(memory, args.adds, args.searches, args.workers, args.users, neo4j_pid(server))
    minutes = (time.perf_counter() - started) / 60
    log("soak done; checking")
    report = invariants.check(memory.store.driver, memory.store.database, limit=1000)
    attempted = len(result.ops) + sum(result.failed.values())
    rows += [
        ["soak: operations attempted", attempted],
        [
            "soak: adds / searches completed",
            "{} / {}".format(
                *(sum(k == kind for k, _ in result.ops) for kind in ("add", "search"))
            ),
        ],
        ["soak: operations failed", sum(result.failed.values())],
        ["soak: duration (min)", round(minutes, 1)],
        ["soak: throughput (ops/s)", round(len(result.ops) / (minutes * 60), 1)],
        ["items lost (ids returned, not in Neo4j)", lost_items(memory, result.added)],
        ["duplicate entities (extra nodes per scope+key)", duplicate_entities(memory)],
        ["cross-scope leaks (search results)", len(result.leaks)],
        ["cross-scope edges", len(report.violations["edges_across_scopes"])],
        [
            "other invariant violations",
            sum(len(v) for k, v in report.violations.items() if k != "edges_across_scopes"),
        ],
    ]
    for kind in ("add", "search"):
        first, last, ratio = drift(result.ops, kind)
        rows.append(
            [
                f"p95 {kind} ms: 2nd tenth -> last tenth (drift)",
                f"{first:.0f} -> {last:.0f} (x{ratio:.2f})",
            ]
        )
    warm = result.rss[len(result.rss) // 10] if result.rss else (0, 0, 0)
    end = result.rss[-1] if result.rss else (0, 0, 0)
    rows.append(
        [
            "RSS python MiB: after warm-up -> end (growth)",
            f"{warm[1] / 1024:.0f} -> {end[1] / 1024:.0f} (+{(end[1] - warm[1]) / 1024:.0f})",
        ]
    )
    rows.append(
        [
            "RSS neo4j MiB: after warm-up -> end (growth)",
            f"{warm[2] / 1024:.0f} -> {end[2] / 1024:.0f} (+{(end[2] - warm[2]) / 1024:.0f})",
        ]
    )
    if result.failed:
        notes.append(
            "Soak failures by reason:\n\n"
            + markdown_table(["reason", "count"], sorted(result.failed.items()))
        )

    log("hostile input")
    figures = hostile(memory)
    rows += [
        ["hostile: operations attempted", figures.get("attempted", 0)],
        [
            "hostile: refused with an unclear error",
            sum(v for k, v in figures.items() if k.startswith("unclear")),
        ],
        ["hostile: accepted though invalid", figures.get("accepted (should be refused)", 0)],
        ["Cypher injections", figures.get("injections", 0)],
    ]
    unclear = [k for k in figures if k.startswith("unclear")]
    if unclear:
        notes.append("Unclear errors: " + "; ".join(unclear))

    log("eight writers, one sentence")
    race = concurrent_same_fact(memory)
    rows += [[f"8 concurrent adds of one sentence: {k}", v] for k, v in race.items()]

    if not args.skip_faults:
        log("fault stream: Neo4j stopped for 35 s mid-stream, then started again")
        fault = run_fault_stream(
            memory, server, adds_per_writer=20, stop_after=6, downtime_s=35, log=log
        )
        why = ", ".join(f"{k} x{v}" for k, v in fault.failed.items()) or "none"
        rows += [
            ["faults: adds attempted", fault.attempted],
            ["faults: completed (driver retried across the outage)", fault.completed],
            ["faults: failed (why)", f"{sum(fault.failed.values())} ({why})"],
            ["faults: failed with an unclear error", len(fault.unclear_errors)],
            ["faults: kept episodes re-extracted afterwards", fault.reextracted],
            ["faults: items lost", len(fault.lost)],
            ["faults: half-written adds", len(fault.half_written)],
            ["faults: duplicate facts", fault.duplicates],
            [
                "faults: invariant violations",
                sum(len(v) for v in fault.invariants.violations.values())
                if fault.invariants
                else "?",
            ],
        ]
    return rows, notes


if __name__ == "__main__":
    main()
