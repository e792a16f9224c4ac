"""Fairness between API keys (issue 13, F6): one key floods the REST server with searches,
another key searches as usual; how much slower does the second key get?

Used by bench/stress.py (`python bench/stress.py --only fairness`). The REST server is a
real `graphmem serve` subprocess on a free port (its own process, so the flooding client
threads here do not share its interpreter), with two API keys bound to two seeded users:

1. idle: key B runs `probes` searches one after another; their p95 is the baseline.
2. flood: key A sends `flood` searches from `in_flight` threads at once; a 429 is retried
   after its Retry-After, as HTTP clients do. Meanwhile key B searches as in 1.

Run once per per-key limit (`limits`): a limit above `in_flight` is the server without one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from graphmem.config import Settings
from graphmem.memory import Memory

KEY_A = "sk-bench-flooder-0000000001"
KEY_B = "sk-bench-bystander-00000002"
QUERIES = ["Where did Alice go?", "Who visited Ghent?", "What did Bob visit?"]
PEOPLE = ["Alice", "Bob", "Carol", "Dave"]
CITIES = ["Oslo", "Ghent"]


@dataclass
class Fairness:
    limit: int
    idle_p95_ms: float
    flood_p95_ms: float
    flood_searches: int
    flood_429: int
    flood_s: float

    @property
    def ratio(self) -> float:
        return self.flood_p95_ms / self.idle_p95_ms


def seed(memory: Memory, users: tuple[str, str], facts_per_user: int = 200) -> None:
    """Both users get the same small memory, so a search costs the same for either key."""
    facts = [
        {
            "text": f"{PEOPLE[n % 4]} visited {CITIES[n % 2]} (note {n}).",
            "entities": [
                {"name": PEOPLE[n % 4], "type": "Person"},
                {"name": CITIES[n % 2], "type": "City"},
            ],
            "relations": [
                {"source": PEOPLE[n % 4], "relation": "VISITED", "target": CITIES[n % 2]}
            ],
        }
        for n in range(facts_per_user)
    ]
    for user in users:
        memory.reset(user_id=user)
        for start in range(0, len(facts), 50):
            memory.add_facts(facts[start : start + 50], user_id=user)


def measure(
    settings: Settings,
    port: int,
    limit: int,
    users: tuple[str, str],
    *,
    probes: int = 30,
    flood: int = 128,
    in_flight: int = 64,
    log: Callable[[str], None] = print,
) -> Fairness:
    """One run of the scenario against a `graphmem serve` started with `limit`."""
    server = _serve(settings, port, limit, users)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        with httpx.Client(base_url=base, timeout=300) as client:
            for query in QUERIES:  # warm-up: embedder, plans, connection pool
                _search(client, KEY_B, query)
            idle = [_search(client, KEY_B, QUERIES[n % 3])[0] for n in range(probes)]
            log(f"fairness (limit {limit}): idle p95 {np.percentile(idle, 95):.0f} ms")
            flooded, refused, seconds = _flood(base, client, flood, in_flight)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return Fairness(
        limit=limit,
        idle_p95_ms=float(np.percentile(idle, 95)),
        flood_p95_ms=float(np.percentile(flooded, 95)),
        flood_searches=flood,
        flood_429=refused,
        flood_s=seconds,
    )


def _flood(
    base: str, bystander: httpx.Client, flood: int, in_flight: int
) -> tuple[list[float], int, float]:
    """Key A's `flood` searches from `in_flight` threads; key B's latencies meanwhile."""
    jobs = list(range(flood))
    lock = threading.Lock()
    refused = [0]

    def flooder() -> None:
        with httpx.Client(base_url=base, timeout=600) as client:
            while True:
                with lock:
                    if not jobs:
                        return
                    n = jobs.pop()
                while True:
                    _, answer = _search(client, KEY_A, QUERIES[n % 3])
                    if answer.status_code != 429:
                        break
                    with lock:
                        refused[0] += 1
                    time.sleep(float(answer.headers.get("retry-after", "1")))

    threads = [threading.Thread(target=flooder) for _ in range(in_flight)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    times: list[float] = []
    n = 0
    while any(t.is_alive() for t in threads) or len(times) < 10:
        times.append(_search(bystander, KEY_B, QUERIES[n % 3])[0])
        n += 1
    for thread in threads:
        thread.join()
    return times, refused[0], time.perf_counter() - started


def _search(client: httpx.Client, key: str, query: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    answer = client.post(
        "/v1/memories/search",
        json={"query": query, "top_k": 10},
        headers={"Authorization": f"Bearer {key}"},
    )
    elapsed = (time.perf_counter() - start) * 1000
    if answer.status_code not in (200, 429):
        raise RuntimeError(f"search answered {answer.status_code}: {answer.text[:200]}")
    return elapsed, answer


def _serve(
    settings: Settings, port: int, limit: int, users: tuple[str, str]
) -> subprocess.Popen[bytes]:
    keys = {"keys": {KEY_A: {"user_id": users[0]}, KEY_B: {"user_id": users[1]}}}
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    env = {
        **os.environ,
        "GRAPHMEM_CONFIG": str(Path(settings.data_dir) / "absent.toml"),
        "GRAPHMEM_NEO4J_URI": settings.neo4j_uri,
        "GRAPHMEM_NEO4J_PASSWORD": password,
        "GRAPHMEM_EMBEDDER_PATH": str(settings.embedder_path),
        "GRAPHMEM_API_KEYS": json.dumps(keys),
    }
    code = "from graphmem.cli import main; main()"
    cmd = [sys.executable, "-c", code, "serve", "--port", str(port)]
    cmd += ["--max-concurrent-per-key", str(limit)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 180
    while server.poll() is None and time.monotonic() < give_up:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"graphmem serve never answered (exit code {server.poll()})")
