"""search() latency at 10k and 100k facts over many users (p50 / p95, blended recall).

Real embeddings for 100k facts would take ~8 minutes on 2 cores, so the corpus is
synthesised: the LoCoMo dev observations (1,487 sentences) are embedded for real once;
fact i takes sentence i mod 1487 (suffixed with its number) and that sentence's vector
plus Gaussian noise (sigma 0.02 per dimension, then re-normalised; cosine to the original
~0.9), so neighbourhoods look like real text without being copies. Each fact names 2
entities from a per-user pool of 30 (random words of its sentence, vectors embedded for
real), linked by a MENTIONS relation. Facts are written straight through the store's
write batches (build_batch + GraphStore.write_batch), the same statements add_facts uses.

Users hold 100 facts each; at 100k one extra user holds 5,000 facts, so the vector-index
path (over-fetch + fallback) is measured too. Queries are real questions from LoCoMo,
embedded at query time as search() does.

    python bench/search_latency.py --neo4j-uri bolt://127.0.0.1:7687 [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from pathlib import Path

import numpy as np

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared/bench/locomo/locomo_dev.json"
MODEL = REPO.parent / "shared/models/all-MiniLM-L6-v2"
RESULTS = REPO / "bench/results/search_latency.md"
PER_USER = 100
LARGE_USER = 5000
BATCH = 500


def corpus() -> tuple[list[str], list[str]]:
    data = json.loads(DATA.read_text())
    texts = [t for c in data for s in c["observation"].values() for v in s.values() for t, _ in v]
    questions = [q["question"] for c in data for q in c["qa"]]
    return texts, questions


def ingest(memory: Memory, user: str, n: int, texts, vectors, words, word_vecs, rng) -> None:
    scope = Scope(user_id=user)
    pool = rng.sample(range(len(words)), 30)
    for start in range(0, n, BATCH):
        facts, ents = [], {}
        for i in range(start, min(n, start + BATCH)):
            j = rng.randrange(len(texts))
            vec = vectors[j] + np.random.default_rng(i).normal(0, 0.02, vectors.shape[1])
            vec /= np.linalg.norm(vec)
            named = [words[k] for k in rng.sample(pool, 2)]
            for k in named:
                ents[k] = word_vecs[words.index(k)]
            facts.append(
                NewFact(
                    text=f"{texts[j]} (#{i})",
                    embedding=vec.tolist(),
                    entities=named,
                    relations=[NewRelation(named[0], "mentions", named[1])],
                )
            )
        episode = str(uuid.uuid4())
        memory.store.write_episode(episode, scope, [], infer=False)
        entities = [NewEntity(name, "Thing", v.tolist()) for name, v in ents.items()]
        memory.store.write_batch(build_batch(scope, episode, facts, entities))


def measure(memory: Memory, users: list[str], questions: list[str], n: int, rng) -> list[float]:
    times = []
    for _ in range(n):
        user, q = rng.choice(users), rng.choice(questions)
        start = time.perf_counter()
        memory.search(q, user_id=user, top_k=10)
        times.append(time.perf_counter() - start)
    return times


def row(label: str, facts: int, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    return (
        f"| {facts:,} | {label} | {len(times)} | {statistics.median(times) * 1000:.1f} "
        f"| {p95 * 1000:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sizes", default="10000,100000", help="fact counts to measure at")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    rng = random.Random(7)
    embedder = LocalEmbedder(MODEL, model_name="sentence-transformers/all-MiniLM-L6-v2")
    texts, questions = corpus()
    vectors = np.asarray(embedder.embed(texts))
    words = sorted({w.strip(".,!?'\"").lower() for t in texts for w in t.split() if len(w) > 5})
    words = rng.sample(words, min(600, len(words)))
    word_vecs = np.asarray(embedder.embed(words))
    settings = Settings(neo4j_uri=args.neo4j_uri, neo4j_password=args.neo4j_password)
    tag = uuid.uuid4().hex[:6]
    lines = [
        "| facts in db | scopes queried | queries | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    users: list[str] = []
    with Memory(settings, embedder=embedder) as memory:
        try:
            for total in (int(n) for n in args.sizes.split(",")):
                start = time.perf_counter()
                while len(users) * PER_USER < total:
                    users.append(f"lat-{tag}-{len(users)}")
                    ingest(memory, users[-1], PER_USER, texts, vectors, words, word_vecs, rng)
                large = None
                if total == 100_000:
                    large = f"lat-{tag}-large"
                    ingest(memory, large, LARGE_USER, texts, vectors, words, word_vecs, rng)
                print(
                    f"ingested up to {total:,} facts in {time.perf_counter() - start:.0f} s",
                    flush=True,
                )
                measure(memory, users, questions, 20, rng)  # warm plans and caches
                times = measure(memory, users, questions, args.queries, rng)
                n = total + (LARGE_USER if large else 0)
                lines.append(row(f"{PER_USER}-fact users", n, times))
                if large:
                    times = measure(memory, [large], questions, args.queries, rng)
                    lines.append(row(f"one {LARGE_USER:,}-fact user (index path)", n, times))
                print(lines[-1], flush=True)
        finally:
            for user in [*users, f"lat-{tag}-large"]:
                memory.reset(user_id=user)
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
