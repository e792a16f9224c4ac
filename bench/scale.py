"""Recall latency at 10k / 100k / 1M facts over 1,000 users, small-tenant recall@10 vs exact.

One Neo4j, filled step by step (10k, then up to 100k, then up to 1M) through graphmem's own
write statements (writer.build_batch rows, written by write/episodes, whose episode part
add_facts runs in write/open_add, and write/batch as add_facts writes them; see BulkWriter),
in transactions of ~--batch facts of as many users
as fit, smallest users first. Facts per user follow a Zipf(1) law over 1,000 users (the
biggest tenant holds ~13% of the facts, the smallest a handful), plus one small tenant of
200 facts loaded first ("tenant-small").

Vectors: fact texts come from a pool of 15,000 distinct generated sentences whose real
all-MiniLM-L6-v2 embeddings are computed once (cached under --cache); each user holds the
pool in its own random order, so up to 15,000 facts per user carry real embeddings (every
fact at 10k and 100k). A user holding more (only the 8 biggest tenants, only at 1M: ~243k of
the 1M facts) gets variants of pool sentences whose vectors are synthetic: the sentence's
real vector plus Gaussian noise (sigma 0.01 per dimension), re-normalised. Queries and
entity names are real embeddings.

At each scale, for 20 users spread over the size range (log-spaced ranks) plus the small
tenant, --per-user questions each, after one warm-up pass:

- graphmem search() (blended, top_k=10) with the query vector precomputed: latency without
  the embedding (Python pipeline + every Neo4j round trip it makes);
- graphmem search() end to end, embedding the query with the local ONNX model;
- the brute-force scan mem0 and Graphiti run: one Cypher statement computing
  vector.similarity.cosine over every fact of the user, ORDER BY, LIMIT 10 (no graph). As
  the issue measured it ("scan"), it finds the user's facts by a label scan of every Fact
  (graphmem's schema has no index on Fact.user_id, mem0's default finds them by a scan of
  every node), so it grows with the database, not with the user;
- the same scan through an index on the user's facts ("indexed scan", as Graphiti's
  group_id index serves its scan): graphmem's scope-key index. Its cost grows with the
  user's facts alone, so it is the floor a search of a small scope is held against;
- recall@10 of graphmem's vector channel (RecallReads.nearest_facts) against that exact scan.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import (
    RESULTS,
    SEED,
    FactSpec,
    LookupEmbedder,
    Timings,
    embed_cached,
    entity_names,
    fact_pool,
    local_embedder,
    machine,
    markdown_table,
    query_for,
    save_json,
    save_markdown,
    zipf_sizes,
)
from neo4j import ManagedTransaction

from graphmem import context
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.store.neo4j import (
    GraphStore,
    WriteBatch,
    apply_batches,
    episode_row,
    write_episodes_in,
)
from graphmem.store.recall_reads import RecallReads
from graphmem.writer import NewEntity, NewFact, NewRelation, build_batch

POOL_SIZE = 15_000
SMALL_TENANT = "tenant-small"
SMALL_TENANT_FACTS = 200
SAMPLED_RANKS = (1, 2, 3, 4, 6, 8, 11, 16, 22, 32, 45, 64, 90, 128, 181, 256, 362, 512, 724, 1000)
NOISE_SIGMA = 0.01

SCAN = """
MATCH (f:Fact) WHERE f.user_id = $user_id AND f.status = 'active'
WITH f, vector.similarity.cosine(f.embedding, $embedding) AS similarity
ORDER BY similarity DESC LIMIT $k
RETURN f.id AS id, similarity
"""
# The same scan, the user's facts found through an index (graphmem's Scope -> scope-key
# index on Fact), as a store with an index on the user's id would run it.
INDEXED_SCAN = """
MATCH (s:Scope {user_id: $user_id})
MATCH (f:Fact {scope_key: s.key, status: 'active'})
WITH f, vector.similarity.cosine(f.embedding, $embedding) AS similarity
ORDER BY similarity DESC LIMIT $k
RETURN f.id AS id, similarity
"""


class Corpus:
    """The deterministic data set: pool texts, their vectors, entity vectors, query vectors."""

    def __init__(self, cache: Path) -> None:
        self.pool = fact_pool(POOL_SIZE)
        self.pool_vectors = embed_cached([s.text for s in self.pool], cache / "pool.npy")
        names = entity_names()
        self.entity_vectors = dict(
            zip(names, embed_cached(names, cache / "entities.npy").tolist(), strict=True)
        )
        self.queries = sorted({query_for(s) for s in self.pool})
        vectors = embed_cached(self.queries, cache / "queries.npy")
        self.query_vectors = dict(zip(self.queries, vectors.tolist(), strict=True))
        self._orders: dict[str, np.ndarray] = {}

    def order(self, user: str) -> np.ndarray:
        """The user's facts are the pool in this user's own random order."""
        if user not in self._orders:
            rng = np.random.default_rng(zlib.crc32(f"{SEED}:{user}".encode()))
            self._orders[user] = rng.permutation(POOL_SIZE)
        return self._orders[user]

    def fact(self, user: str, index: int) -> tuple[FactSpec, list[float], bool]:
        """The user's index-th fact: spec, vector, and whether the vector is synthetic."""
        spec = self.pool[int(self.order(user)[index % POOL_SIZE])]
        vector = self.pool_vectors[int(self.order(user)[index % POOL_SIZE])]
        if index < POOL_SIZE:
            return spec, vector.tolist(), False
        rng = np.random.default_rng(index)
        noisy = vector + rng.normal(0, NOISE_SIGMA, vector.shape).astype(np.float32)
        text = f"{spec.text[:-1]} (note {index // POOL_SIZE})."
        variant = FactSpec(text, spec.person, spec.thing, spec.relation, spec.place)
        return variant, (noisy / np.linalg.norm(noisy)).tolist(), True


def user_name(rank: int) -> str:
    return f"u{rank:04d}"


# -- loading -------------------------------------------------------------------------------


def new_fact(spec: FactSpec, vector: list[float]) -> NewFact:
    names = [spec.person, spec.thing] + ([spec.place] if spec.place else [])
    relations = [NewRelation(spec.person, spec.relation, spec.thing)]
    if spec.place:
        relations.append(NewRelation(spec.person, "SPENDS_TIME_IN", spec.place))
    return NewFact(
        text=spec.text,
        embedding=vector,
        entities=names,
        relations=relations,
        model="all-MiniLM-L6-v2",
    )


def entities_for(corpus: Corpus, specs: Sequence[FactSpec]) -> list[NewEntity]:
    found: dict[str, NewEntity] = {}
    for spec in specs:
        kinds = [(spec.person, "Person"), (spec.thing, "Thing")]
        kinds += [(spec.place, "Place")] if spec.place else []
        for name, kind in kinds:
            found.setdefault(name, NewEntity(name, kind, corpus.entity_vectors[name]))
    return list(found.values())


class BulkWriter:
    """Writes many users' adds per transaction through graphmem's own write statements.

    Rows come from graphmem.writer.build_batch (the ids, properties and sanitised labels and
    types add_facts writes) and go through the statements add_facts runs: write/episodes
    (the scope and episode of each batch, as the episode part of write/open_add writes it)
    and write/batch (facts with their vectors, entities, ABOUT links, relations), each
    statement once per transaction for all of its
    batches, which may belong to hundreds of users. What an add does besides is left out:
    the candidate reads under the scope's lock and the change log (the data is new by
    construction, and recall reads neither). Entity vectors are sent once per entity.

    Up to `workers` transactions are in flight at once (Neo4j runs each on one core, and
    spends much of a commit in its index updates): flush() hands the pending batches to a
    worker, wait() returns once all are written and raises the first failure. Two
    transactions may share a user whose facts span a flush; the driver retries the rare
    deadlock that causes, and an entity created by the later one without its vector gets it
    from the earlier one (write/batch stores a vector on any entity that lacks one).
    """

    def __init__(self, store: GraphStore, workers: int = 2) -> None:
        self.store = store
        self.known_entities: set[tuple[str, str]] = set()
        self.batches: list[WriteBatch] = []
        self.size = 0
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self._in_flight: deque[Future[None]] = deque()

    def add(self, batch: WriteBatch) -> None:
        for entity in batch.entities:
            key = (batch.scope.key, entity.key)
            if key in self.known_entities:
                entity.embedding = None  # stored with the entity's first batch
            self.known_entities.add(key)
        self.batches.append(batch)
        self.size += len(batch.facts)

    def flush(self) -> None:
        """Hand the pending batches to a worker (waiting while all of them are busy)."""
        if not self.size:
            return
        while len(self._in_flight) >= self.workers:
            self._in_flight.popleft().result()
        self._in_flight.append(self._pool.submit(self._write, self.batches))
        self.batches, self.size = [], 0

    def wait(self) -> None:
        """Write what is pending and return once every transaction has committed."""
        self.flush()
        while self._in_flight:
            self._in_flight.popleft().result()

    def close(self) -> None:
        self.wait()
        self._pool.shutdown()

    def _write(self, batches: list[WriteBatch]) -> None:
        episodes = [episode_row(b.episode_id, b.scope, [], infer=False) for b in batches]

        def work(tx: ManagedTransaction) -> None:
            write_episodes_in(tx, episodes)
            apply_batches(tx, batches)

        self.store.write(work)


def user_batch(corpus: Corpus, user: str, start: int, end: int) -> tuple[WriteBatch, int]:
    """The user's facts [start, end) as one WriteBatch (own episode); and how many synthetic."""
    scope = Scope(user_id=user)
    rows = [corpus.fact(user, i) for i in range(start, end)]
    facts = [new_fact(spec, vec) for spec, vec, _ in rows]
    entities = entities_for(corpus, [spec for spec, _, _ in rows])
    batch = build_batch(scope, str(uuid.uuid4()), facts, entities)
    return batch, sum(1 for _, _, s in rows if s)


def load_to(
    writer: BulkWriter,
    corpus: Corpus,
    total: int,
    users: int,
    loaded: dict[str, int],
    chunk: int,
    deadline: float,
) -> dict[str, Any]:
    """Bring every user up to its Zipf share of `total` facts, in transactions of ~`chunk`
    facts, smallest users first, until `deadline` (time.time()); returns load statistics."""
    targets = {user_name(r): n for r, n in enumerate(zipf_sizes(total, users), start=1)}
    targets.setdefault(SMALL_TENANT, max(loaded.get(SMALL_TENANT, 0), SMALL_TENANT_FACTS))
    started, written, synthetic = time.perf_counter(), 0, 0
    for user in sorted(targets, key=lambda u: targets[u]):
        while loaded.get(user, 0) < targets[user]:
            if time.time() > deadline:
                break
            lo = loaded.get(user, 0)
            hi = min(targets[user], lo + chunk - writer.size)
            batch, synth = user_batch(corpus, user, lo, hi)
            writer.add(batch)
            written, synthetic, loaded[user] = written + hi - lo, synthetic + synth, hi
            if writer.size >= chunk:
                writer.flush()
    writer.wait()
    seconds = time.perf_counter() - started
    return {
        "facts_written": written,
        "seconds": round(seconds, 1),
        "facts_per_s": round(written / seconds, 1) if seconds else None,
        "synthetic_vectors": synthetic,
        "reached_target": all(loaded.get(u, 0) >= n for u, n in targets.items()),
    }


# -- measuring -----------------------------------------------------------------------------


def questions(corpus: Corpus, loaded: dict[str, int], per_user: int) -> list[tuple[str, str]]:
    """(user, question) pairs: per_user questions about facts each sampled user holds."""
    users = [user_name(r) for r in SAMPLED_RANKS] + [SMALL_TENANT]
    rng = np.random.default_rng(SEED)
    out = []
    for user in users:
        held = min(loaded[user], POOL_SIZE)
        for i in rng.choice(held, size=min(per_user, held), replace=False):
            out.append((user, query_for(corpus.fact(user, int(i))[0])))
    return out


def scan(
    store: GraphStore, user: str, vector: list[float], k: int = 10, statement: str = SCAN
) -> list[str]:
    rows = store.read(statement, {"user_id": user, "embedding": vector, "k": k})
    return [r["id"] for r in rows]


def indexed_scan(store: GraphStore, user: str, vector: list[float], k: int = 10) -> list[str]:
    return scan(store, user, vector, k, INDEXED_SCAN)


BIG_TENANT = 10_000  # facts: the ">= 10x faster than the scan" class


def measure(
    memory: Memory,
    e2e: Memory,
    corpus: Corpus,
    asked: list[tuple[str, str]],
    loaded: dict[str, int],
) -> dict[str, Any]:
    """Latency of search() without / with the embedding and of the two scans; recall@10;
    the search / scan ratios of medians over all questions and over the big tenants' alone."""
    reads = RecallReads(memory.store)
    for user, q in asked:  # warm-up: page cache, query plans
        memory.search(q, user_id=user)
        scan(memory.store, user, corpus.query_vectors[q])
        indexed_scan(memory.store, user, corpus.query_vectors[q])
    e2e.search(asked[0][1], user_id=asked[0][0])  # the ONNX session
    load_before = os.getloadavg()
    server, full, brute, small = Timings(), Timings(), Timings(), Timings()
    indexed = Timings()
    big_search, big_scan, big_indexed = Timings(), Timings(), Timings()
    disagreed = 0  # questions the two scans answered differently (ties only)
    recalls: dict[str, list[float]] = {}
    tokens: list[int] = []
    for user, q in asked:
        vector = corpus.query_vectors[q]
        out = server.time(lambda u=user, q=q: memory.search(q, user_id=u))
        if user == SMALL_TENANT:
            small.samples.append(server.samples[-1])
        tokens.append(context.estimate_tokens(out["context"]))
        full.time(lambda u=user, q=q: e2e.search(q, user_id=u))
        exact = brute.time(lambda u=user, v=vector: scan(memory.store, u, v))
        same = indexed.time(lambda u=user, v=vector: indexed_scan(memory.store, u, v))
        disagreed += same != exact
        if loaded[user] >= BIG_TENANT:
            big_search.samples.append(server.samples[-1])
            big_scan.samples.append(brute.samples[-1])
            big_indexed.samples.append(indexed.samples[-1])
        got = [h.id for h in reads.nearest_facts(Scope(user_id=user), vector, 10)]
        recalls.setdefault(user, []).append(len(set(got) & set(exact)) / max(len(exact), 1))
    return {
        "search_no_embedding": server.summary(),
        "search_end_to_end": full.summary(),
        "brute_force_scan": brute.summary(),
        "indexed_scan": indexed.summary(),
        "scans_disagreed": disagreed,
        "small_tenant_search_no_embedding": small.summary(),
        # Medians of one run, so the ratio holds even on a noisy machine.
        "search_over_scan_p50": round(server.pct(50) / brute.pct(50), 3),
        "search_over_indexed_scan_p50": round(server.pct(50) / indexed.pct(50), 3),
        "tenants_10k_plus": {
            "questions": len(big_search.samples),
            "search_p50_ms": round(big_search.pct(50), 2) if big_search.samples else None,
            "scan_p50_ms": round(big_scan.pct(50), 2) if big_scan.samples else None,
            "scan_over_search_p50": round(big_scan.pct(50) / big_search.pct(50), 2)
            if big_search.samples
            else None,
            "indexed_scan_p50_ms": round(big_indexed.pct(50), 2) if big_search.samples else None,
            "indexed_scan_over_search_p50": round(big_indexed.pct(50) / big_search.pct(50), 2)
            if big_search.samples
            else None,
        },
        "recall_at10_small_tenant": round(float(np.mean(recalls[SMALL_TENANT])), 4),
        "recall_at10_all_sampled": round(
            float(np.mean([x for v in recalls.values() for x in v])), 4
        ),
        "recall_at10_biggest_tenant": round(float(np.mean(recalls[user_name(1)])), 4),
        "context_tokens_k10_median": int(np.median(tokens)),
        "context_tokens_k10_max": int(max(tokens)),
        "queries": len(asked),
        "load_average_1m_before_after": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
    }


# -- main ----------------------------------------------------------------------------------


def rows_for(results: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for r in results:
        m, s, e, b = (
            r["measure"],
            r["measure"]["search_no_embedding"],
            r["measure"]["search_end_to_end"],
            r["measure"]["brute_force_scan"],
        )
        # Runs before the indexed scan was measured (2026-12-01 and earlier) lack it.
        i, big = m.get("indexed_scan", {}), m.get("tenants_10k_plus", {})
        rows.append(
            [
                r["facts"],
                s["p50_ms"],
                s["p95_ms"],
                s["p99_ms"],
                e["p50_ms"],
                e["p95_ms"],
                e["p99_ms"],
                b["p50_ms"],
                b["p95_ms"],
                m.get("search_over_scan_p50"),
                i.get("p50_ms"),
                i.get("p95_ms"),
                m.get("search_over_indexed_scan_p50"),
                big.get("scan_over_search_p50"),
                big.get("indexed_scan_over_search_p50"),
                m["small_tenant_search_no_embedding"]["p95_ms"],
                m["recall_at10_small_tenant"],
                m["recall_at10_biggest_tenant"],
                m["context_tokens_k10_median"],
            ]
        )
    return rows


HEADERS = (
    "facts",
    "search p50",
    "p95",
    "p99",
    "e2e p50",
    "e2e p95",
    "e2e p99",
    "scan p50",
    "scan p95",
    "search / scan p50",
    "indexed scan p50",
    "indexed scan p95",
    "search / indexed scan p50",
    "10k+ tenants: scan / search p50",
    "10k+ tenants: indexed scan / search p50",
    "small-tenant p95",
    "recall@10 small",
    "recall@10 biggest",
    "ctx tokens k10",
)


def fact_count(store: GraphStore) -> int:
    """Facts in the whole database (other benches may share the server)."""
    return int(store.read("MATCH (f:Fact) RETURN count(f) AS n", {})[0]["n"])


def fresh(store: GraphStore) -> bool:
    """No scale data yet (the small tenant is written first)."""
    found = store.read("MATCH (f:Fact {user_id: $u}) RETURN count(f) AS n", {"u": SMALL_TENANT})
    return int(found[0]["n"]) == 0


HELD = """
MATCH (f:Fact) WHERE f.user_id =~ 'u[0-9]{4}' OR f.user_id = $small
RETURN f.user_id AS user, count(f) AS n
"""


def resume(
    store: GraphStore, resume: bool, redo: Sequence[int], earlier: Path
) -> tuple[dict[str, int], list]:
    """Per-user counts already written (read from the database when resuming) and the earlier
    results worth keeping (those of scales not measured again)."""
    if not resume:
        if not fresh(store):
            raise SystemExit("scale data is already there: use --resume or a fresh server")
        return {}, []
    loaded = {r["user"]: int(r["n"]) for r in store.read(HELD, {"small": SMALL_TENANT})}
    results = json.loads(earlier.read_text())["results"] if earlier.exists() else []
    return loaded, [r for r in results if r["target"] not in redo]


def iter_scales(text: str) -> Iterator[int]:
    for part in text.split(","):
        yield int(float(part))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--per-user", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2000, help="facts per transaction")
    parser.add_argument(
        "--load-workers", type=int, default=2, help="write transactions in flight while loading"
    )
    parser.add_argument(
        "--load-budget-s",
        type=float,
        default=1e9,
        help="stop loading after this many seconds and measure the scale reached",
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/graphmem-bench-cache"))
    parser.add_argument("--server-note", default="", help="heap/pagecache used, for the record")
    parser.add_argument(
        "--out",
        default="scale",
        help="results/<out>.{json,md}: scale is the default server's (summary.json reads it)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the facts an earlier run wrote (counts read from the database)",
    )
    args = parser.parse_args()
    corpus = Corpus(args.cache)
    # Query vectors are looked up; the words recall matches against relation types (a few
    # per query, cached by recall after their first use) are embedded for real.
    onnx = local_embedder()
    lookup = LookupEmbedder(dict(corpus.query_vectors), fallback=onnx)
    conn = {"neo4j_uri": args.neo4j_uri, "neo4j_password": args.neo4j_password}
    memory = Memory(embedder=lookup, **conn)
    e2e = Memory(embedder=onnx, store=memory.store, **conn)
    loaded, results = resume(
        memory.store, args.resume, list(iter_scales(args.scales)), RESULTS / f"{args.out}.json"
    )
    writer = BulkWriter(memory.store, workers=args.load_workers)
    deadline = time.time() + args.load_budget_s
    for total in iter_scales(args.scales):
        load = load_to(writer, corpus, total, args.users, loaded, args.batch, deadline)
        print(f"loaded to {total:,}: {load}", flush=True)
        m = measure(memory, e2e, corpus, questions(corpus, loaded, args.per_user), loaded)
        results.append(
            {
                "facts": sum(loaded.values()),
                "facts_in_database": fact_count(memory.store),
                "target": total,
                "load": load,
                "measure": m,
            }
        )
        table = markdown_table(HEADERS, rows_for(results))
        print(table, flush=True)
        payload = {
            "machine": machine(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": args.server_note,
            "users": args.users,
            "results": results,
        }
        save_json(f"{args.out}.json", payload)
        save_markdown(
            f"{args.out}.md",
            "Recall latency at scale (ms)",
            f"{machine()}\n\nNeo4j: {args.server_note}\n\n{table}\n",
        )
    writer.close()
    memory.close()


if __name__ == "__main__":
    main()
