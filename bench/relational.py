"""Relational recall: 1-, 2-, 3-hop and about-the-user questions over a synthetic memory.

Each user's memory is a world from relational_world.py (about 150 people, cities, companies,
pets, hobbies; ~1,650 facts, ~1,150 of them carrying one typed relation; distractors), written
through Memory.add_facts. Every question has a unique gold path: the facts carrying its edges.
A question counts at k when ALL its gold facts are among the top k (R_all@k); MRR is the
reciprocal rank of the first gold fact. Three systems answer the same questions over the same
texts: graphmem's Memory.search (blended, end to end with the local embedder), an exact
cosine top k over the user's facts (numpy, the same vectors) and BM25 over the same texts.

    python bench/relational.py                       # starts a throwaway Neo4j of its own
    python bench/relational.py --neo4j-uri bolt://127.0.0.1:7687 --neo4j-password ...
    python bench/relational.py --variant heldout     # other phrasings and relation types

Writes bench/results/relational.{md,json} (dev variant) or relational_<variant>.{md,json};
--misses FILE writes every question graphmem missed at 10 with its top 10, for reading.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import secrets
import statistics
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import MODEL_PATH, free_port, machine, markdown_table, save_json, save_markdown
from relational_world import KINDS, World, build

from graphmem import neo4j_server
from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory

SYSTEMS = ("graphmem", "cosine", "bm25")
_TOKEN = re.compile(r"\w+")


@dataclass
class Scored:
    """One question's outcome for one system."""

    kind: str
    all5: bool
    all10: bool
    rr: float


def score(kind: str, gold: Sequence[str], ranked: Sequence[str]) -> Scored:
    gold_set = set(gold)
    first = next((i for i, text in enumerate(ranked, 1) if text in gold_set), None)
    return Scored(
        kind,
        gold_set <= set(ranked[:5]),
        gold_set <= set(ranked[:10]),
        1.0 / first if first else 0.0,
    )


class BM25:
    """Okapi BM25 (k1 1.2, b 0.75) over a fixed list of texts."""

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.texts = list(texts)
        self.docs = [Counter(_TOKEN.findall(t.lower())) for t in texts]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=float)
        self.avg = float(self.lengths.mean()) if len(self.docs) else 0.0
        self.k1, self.b = k1, b
        frequency: Counter[str] = Counter()
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(self.docs):
            for term in doc:
                frequency[term] += 1
                self.postings[term].append(i)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    def top(self, query: str, k: int) -> list[str]:
        scores = np.zeros(len(self.docs))
        for term in set(_TOKEN.findall(query.lower())):
            for i in self.postings.get(term, []):
                tf = self.docs[i][term]
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
                scores[i] += self.idf[term] * tf * (self.k1 + 1) / norm
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.texts[i] for i in order if scores[i] > 0]


@contextmanager
def neo4j_target(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(uri, password): the one given, or a throwaway local server of this run's own."""
    if args.neo4j_uri:
        yield args.neo4j_uri, args.neo4j_password
        return
    home = Path(tempfile.mkdtemp(prefix="graphmem-relational-")) / "neo4j"
    password = secrets.token_hex(8)
    info = neo4j_server.start(
        home, bolt_port=free_port(), http_port=free_port(), password=password,
        heap="1g", pagecache="512m", prefer_docker=False,
    )  # fmt: skip
    try:
        yield info.uri, password
    finally:
        neo4j_server.stop(home)


def run_world(
    memory: Memory,
    world: World,
    user: str,
    k: int,
    misses: list[dict[str, Any]],
    ingest: bool = True,
) -> tuple[list[tuple[str, Scored]], dict[str, list[float]], float]:
    """Ingest one world as one user (unless told it is there), ask its questions of the
    three systems."""
    facts = [f.as_input() for f in world.facts]
    start = time.perf_counter()
    for i in range(0, len(facts) if ingest else 0, 150):
        memory.add_facts(facts[i : i + 150], user_id=user)
    ingest_s = time.perf_counter() - start
    texts = [f.text for f in world.facts]
    vectors = np.array(memory.embedder.embed(texts), dtype=np.float32)
    bm25 = BM25(texts)
    outcomes: list[tuple[str, Scored]] = []
    latency: dict[str, list[float]] = defaultdict(list)
    for q in world.questions:
        start = time.perf_counter()
        found = memory.search(q.text, user_id=user, top_k=k)
        latency[q.kind].append((time.perf_counter() - start) * 1000)
        ranked = [r["memory"] for r in found["results"]]
        outcomes.append(("graphmem", score(q.kind, q.gold, ranked)))
        query = np.array(memory.embedder.embed_one(q.text), dtype=np.float32)
        nearest = np.argsort(-(vectors @ query), kind="stable")[:k]
        outcomes.append(("cosine", score(q.kind, q.gold, [texts[i] for i in nearest])))
        outcomes.append(("bm25", score(q.kind, q.gold, bm25.top(q.text, k))))
        if not outcomes[-3][1].all10:
            misses.append({"kind": q.kind, "question": q.text, "gold": q.gold, "top": ranked})
    return outcomes, latency, ingest_s


def summarise(
    outcomes: Sequence[tuple[str, Scored]], latency: dict[str, list[float]]
) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        row: dict[str, Any] = {
            "n": sum(1 for s, o in outcomes if s == "graphmem" and o.kind == kind)
        }
        for system in SYSTEMS:
            mine = [o for s, o in outcomes if s == system and o.kind == kind]
            row[system] = {
                "r_all5": statistics.fmean(o.all5 for o in mine) if mine else float("nan"),
                "r_all10": statistics.fmean(o.all10 for o in mine) if mine else float("nan"),
                "mrr": statistics.fmean(o.rr for o in mine) if mine else float("nan"),
            }
        samples = sorted(latency.get(kind, []))
        row["search_p50_ms"] = float(np.percentile(samples, 50)) if samples else float("nan")
        row["search_p95_ms"] = float(np.percentile(samples, 95)) if samples else float("nan")
        table[kind] = row
    return table


def render(table: dict[str, dict[str, Any]]) -> str:
    headers = ["kind", "n"]
    for metric in ("R_all@5", "R_all@10", "MRR"):
        headers += [f"{metric} {s}" for s in SYSTEMS]
    headers += ["search p50 ms", "search p95 ms"]
    rows = []
    for kind, row in table.items():
        cells: list[Any] = [kind, row["n"]]
        for metric in ("r_all5", "r_all10", "mrr"):
            cells += [row[s][metric] for s in SYSTEMS]
        cells += [row["search_p50_ms"], row["search_p95_ms"]]
        rows.append(cells)
    return markdown_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default=None, help="default: start a throwaway server")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--variant", choices=("dev", "heldout"), default="dev")
    parser.add_argument("--users", type=int, default=3, help="worlds, one user each")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--people", type=int, default=150)
    parser.add_argument("--distractors", type=int, default=500)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--misses", type=Path, default=None)
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument(
        "--keep", default=None, metavar="TAG",
        help="name the users by TAG and keep them (with --neo4j-uri): a later --reuse TAG "
        "asks the questions again without ingesting",
    )  # fmt: skip
    parser.add_argument("--reuse", default=None, metavar="TAG", help="users kept by --keep TAG")
    args = parser.parse_args()
    embedder = LocalEmbedder(MODEL_PATH, model_name="sentence-transformers/all-MiniLM-L6-v2")
    tag = args.reuse or args.keep or uuid.uuid4().hex[:6]
    outcomes: list[tuple[str, Scored]] = []
    latency: dict[str, list[float]] = defaultdict(list)
    misses: list[dict[str, Any]] = []
    facts = ingest_s = 0.0
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with neo4j_target(args) as (uri, password):
        settings = Settings(neo4j_uri=uri, neo4j_password=password)
        with Memory(settings, embedder=embedder) as memory:
            users = [f"relational-{args.variant}-{i}-{tag}" for i in range(args.users)]
            try:
                for i, user in enumerate(users):
                    world = build(args.seed + i, args.variant, args.people, args.distractors)
                    facts += len(world.facts)
                    got, lat, secs = run_world(
                        memory, world, user, args.k, misses, ingest=args.reuse is None
                    )
                    outcomes += got
                    ingest_s += secs
                    for kind, values in lat.items():
                        latency[kind] += values
            finally:
                for user in users if not (args.keep or args.reuse) else []:
                    memory.reset(user_id=user)
    table = summarise(outcomes, latency)
    note = (
        f"{args.users} users x ~{facts / args.users:,.0f} facts (variant {args.variant}, seeds "
        f"{args.seed}..{args.seed + args.users - 1}), k = {args.k}; ingest {ingest_s:.1f} s; "
        f"run {started}; {machine()}"
    )
    text = f"{note}\n\n{render(table)}\n"
    print(text)
    if args.misses:
        args.misses.write_text("\n".join(json.dumps(m) for m in misses) + "\n")
    if not args.no_save:
        name = "relational" if args.variant == "dev" else f"relational_{args.variant}"
        save_markdown(f"{name}.md", "Relational recall (bench/relational.py)", text)
        save_json(f"{name}.json", {"note": note, "variant": args.variant, "kinds": table})


if __name__ == "__main__":
    main()
