"""Shared pieces of the bench suite: synthetic multi-tenant data, embedders, timing, tables.

Nothing here talks to a remote service: Neo4j and the scripted LLM run on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import platform
import random
import socket
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.embed.base import Embedder
from graphmem.embed.local import LocalEmbedder

# The driver logs a warning per statement that names a property no node has yet (an empty
# database): noise in bench output.
logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MODEL_PATH = ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2"
SEED = 20261123

PEOPLE = [
    "Alice",
    "Bruno",
    "Chen",
    "Dana",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Bianca",
    "Carlos",
    "Deepa",
    "Emil",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Julia",
    "Kenji",
    "Lucia",
    "Mateo",
    "Nora",
]
PLACES = [
    "Berlin",
    "Munich",
    "Lisbon",
    "Porto",
    "Madrid",
    "Paris",
    "Lyon",
    "Rome",
    "Milan",
    "Vienna",
    "Prague",
    "Warsaw",
    "Oslo",
    "Dublin",
    "London",
    "Leeds",
    "Boston",
    "Denver",
    "Austin",
    "Seattle",
    "Toronto",
    "Montreal",
    "Tokyo",
    "Osaka",
    "Seoul",
    "Sydney",
    "Perth",
    "Nairobi",
    "Lagos",
    "Cairo",
]
THINGS = [
    "hiking",
    "sailing",
    "the violin",
    "chess",
    "pottery",
    "rock climbing",
    "jazz",
    "salsa dancing",
    "photography",
    "marathons",
    "sourdough baking",
    "birdwatching",
    "Italian cooking",
    "the cello",
    "tennis",
    "yoga",
    "watercolour painting",
    "astronomy",
    "gardening",
    "scuba diving",
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Labs",
    "Stark Industries",
    "Wayne Enterprises",
    "a golden retriever",
    "a tabby cat",
    "a vintage Vespa",
    "an electric bike",
    "spicy ramen",
    "dark chocolate",
    "green tea",
    "Kafka novels",
    "science fiction",
    "board games",
    "crossword puzzles",
    "podcasts about history",
    "open source software",
    "Formula 1",
]
VERBS = (
    ("loves", "LOVES"),
    ("started learning", "LEARNS"),
    ("works at", "WORKS_AT"),
    ("owns", "OWNS"),
    ("dislikes", "DISLIKES"),
    ("is really into", "ENJOYS"),
    ("recently gave up", "GAVE_UP"),
    ("wants to try", "WANTS_TO_TRY"),
    ("teaches", "TEACHES"),
    ("writes a blog about", "WRITES_ABOUT"),
)
TAILS = (
    "",
    " on weekends",
    " since last spring",
    " with an old friend",
    " after moving house",
    " every Tuesday evening",
    " to relax after work",
    " despite a busy schedule",
    " while living in {place}",
    " at a club in {place}",
    " during trips to {place}",
    " since the summer in {place}",
)


@dataclass(frozen=True)
class FactSpec:
    """One synthetic fact: text, its subject and object, the relation between them."""

    text: str
    person: str
    thing: str
    relation: str
    place: str | None


def fact_pool(size: int, seed: int = SEED) -> list[FactSpec]:
    """`size` distinct fact sentences drawn from the vocabulary (deterministic)."""
    rng = random.Random(seed)
    seen: dict[str, FactSpec] = {}
    while len(seen) < size:
        person, (verb, rel), thing = rng.choice(PEOPLE), rng.choice(VERBS), rng.choice(THINGS)
        tail = rng.choice(TAILS)
        place = rng.choice(PLACES) if "{place}" in tail else None
        text = f"{person} {verb} {thing}{tail.format(place=place)}."
        seen.setdefault(text, FactSpec(text, person, thing, rel, place))
    return list(seen.values())


def zipf_sizes(total: int, users: int, s: float = 1.0) -> list[int]:
    """Facts per user under a Zipf(s) law, summing exactly to `total` (rank 1 first)."""
    weights = np.array([1 / (r**s) for r in range(1, users + 1)])
    raw = weights / weights.sum() * total
    sizes = np.maximum(np.floor(raw).astype(int), 1)
    sizes[0] += total - int(sizes.sum())
    return [int(x) for x in sizes]


def query_for(spec: FactSpec) -> str:
    """A question whose answer is `spec` (worded differently from the fact)."""
    return f"What does {spec.person} think about {spec.thing}?"


def entity_names() -> list[str]:
    return list(PEOPLE) + list(PLACES) + list(THINGS)


def local_embedder() -> LocalEmbedder:
    return LocalEmbedder(path=MODEL_PATH)


def embed_cached(texts: Sequence[str], cache: Path, embedder: Embedder | None = None) -> np.ndarray:
    """Embeddings of `texts` (float32, unit length), cached in `cache` (.npy + .json)."""
    names = cache.with_suffix(".json")
    if cache.exists() and names.exists() and json.loads(names.read_text()) == list(texts):
        return np.load(cache)
    embedder = embedder or local_embedder()
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(texts), 512):
        vectors[start : start + 512] = embedder.embed(list(texts[start : start + 512]))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    names.write_text(json.dumps(list(texts)))
    return vectors


class LookupEmbedder(Embedder):
    """An Embedder answering from precomputed vectors (falls back to a real one if given).

    Used to time graphmem without the embedding step: the rest of the pipeline is unchanged.
    """

    name = "lookup"

    def __init__(self, table: dict[str, list[float]], fallback: Embedder | None = None) -> None:
        self.table = table
        self.fallback = fallback
        self.misses = 0

    @property
    def dimension(self) -> int:
        return len(next(iter(self.table.values())))

    @property
    def model(self) -> str:
        return "all-MiniLM-L6-v2"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self.table]
        if missing:
            if self.fallback is None:
                raise KeyError(f"no precomputed vector for {missing[0]!r}")
            self.misses += len(missing)
            for text, vec in zip(missing, self.fallback.embed(missing), strict=True):
                self.table[text] = vec
        return [self.table[t] for t in texts]


@dataclass
class Timings:
    """Latencies in milliseconds."""

    samples: list[float] = field(default_factory=list)

    def time(self, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = fn()
        self.samples.append((time.perf_counter() - start) * 1000)
        return out

    def pct(self, q: float) -> float:
        if not self.samples:
            return float("nan")
        return float(np.percentile(self.samples, q))

    def summary(self) -> dict[str, float]:
        return {
            "n": len(self.samples),
            "p50_ms": round(self.pct(50), 2),
            "p95_ms": round(self.pct(95), 2),
            "p99_ms": round(self.pct(99), 2),
            "mean_ms": round(statistics.fmean(self.samples), 2) if self.samples else float("nan"),
        }


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table (also how every script prints its table)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    """CPU model, cores, memory, OS, Python: the machine every figure was measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        mem = "unknown memory"
    import os

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def save_json(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def save_markdown(name: str, title: str, body: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(f"# {title}\n\n{body}\n")
    return path
