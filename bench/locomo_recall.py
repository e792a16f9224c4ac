"""LoCoMo-R: recall on the LoCoMo dev split (../shared/bench/locomo/README.md), no LLM.

Ingest: each conversation is one user. Its observations (LLM-extracted facts with their
evidence turn ids) are written through Memory.add_facts with a graph: every observation
is ABOUT its speaker's self entity and the entities named in it, and carries a relation
speaker -MENTIONS-> entity. Entities are derived without an LLM by a fixed rule:
  - names: runs of Capitalised words (not a sentence-initial function word, month or
    weekday), e.g. "LGBTQ", "Pride Parade";
  - with --keywords (default on): also lower-case content words of 5+ letters that are not
    stop words, folded by dropping a plural -s, e.g. "pottery", "painting", "adoption".
Each memory keeps its dia_ids (and session, speaker) in metadata; valid_from is the
session date.

Score: per question category, R_all@k (all evidence turns covered by the top k),
R_frac@k (fraction covered), MRR (first result covering any evidence turn), for
vector-only, lexical-only and blended search, plus mean context tokens and blended latency.

    python bench/locomo_recall.py [--neo4j-uri bolt://...] [--no-keywords]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory
from graphmem.models import Scope
from graphmem.paths import PathSettings
from graphmem.recall import Recaller, Request, Tuning
from graphmem.store.recall_reads import RecallReads

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared/bench/locomo/locomo_dev.json"
MODEL = REPO.parent / "shared/models/all-MiniLM-L6-v2"
RESULTS = REPO / "bench/results/locomo_recall.md"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
K = 10
FUNCTION_WORDS = set(
    [
        "the",
        "a",
        "an",
        "i",
        "he",
        "she",
        "they",
        "we",
        "it",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "my",
        "our",
        "you",
        "your",
        "after",
        "before",
        "when",
        "while",
        "if",
        "but",
        "and",
        "or",
        "so",
        "then",
        "also",
        "on",
        "in",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "yes",
        "no",
        "oh",
        "wow",
        "hey",
    ]
)
CALENDAR = set(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
STOP = FUNCTION_WORDS | set(
    [
        "about",
        "above",
        "again",
        "against",
        "being",
        "below",
        "between",
        "could",
        "doing",
        "during",
        "further",
        "having",
        "other",
        "ought",
        "should",
        "since",
        "there",
        "through",
        "under",
        "until",
        "which",
        "would",
        "really",
        "about",
        "their",
        "there",
        "these",
        "those",
        "where",
        "while",
        "whose",
        "every",
        "everything",
        "something",
        "things",
        "thing",
        "always",
        "never",
        "often",
        "today",
        "yesterday",
        "recently",
        "lately",
        "great",
        "really",
        "still",
    ]
)
NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
WORD = re.compile(r"(?<![A-Za-z])[a-z]{5,}(?![A-Za-z])")


def names(text: str) -> list[str]:
    found = []
    for match in NAME.finditer(text):
        words = [w for w in match.group().split() if w.lower() not in FUNCTION_WORDS | CALENDAR]
        words = [re.sub(r"['’]s$", "", w) for w in words]
        if words:
            found.append(" ".join(words))
    return found


def keywords(text: str) -> list[str]:
    words = (w[:-1] if w.endswith("s") and not w.endswith("ss") else w for w in WORD.findall(text))
    return [w for w in words if w not in STOP]


def session_date(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw, "%I:%M %p on %d %B, %Y")
    except ValueError:
        return None


def normalise_evidence(raw: list[str], known: set[str]) -> set[str]:
    ids = set()
    for item in raw:
        for part in re.split(r"[;,\s]+", item):
            part = part.replace("D:", "D")
            match = re.fullmatch(r"D(\d+):0*(\d+)", part)
            if match:
                ids.add(f"D{int(match.group(1))}:{int(match.group(2))}")
    return ids & known


def facts_of(conv: dict[str, Any], with_keywords: bool) -> list[dict[str, Any]]:
    c = conv["conversation"]
    facts = []
    for key, by_speaker in conv["observation"].items():
        session = int(re.search(r"session_(\d+)", key).group(1))
        when = session_date(c.get(f"session_{session}_date_time", ""))
        for speaker, items in by_speaker.items():
            for text, dia in items:
                dia_ids = sorted(
                    normalise_evidence(dia if isinstance(dia, list) else [dia], _all_ids(c))
                )
                named = [n for n in names(text) if n.lower() != speaker.lower()]
                extra = keywords(text) if with_keywords else []
                others = list(dict.fromkeys(named + extra))[:12]
                facts.append(
                    {
                        "text": text,
                        "entities": [{"name": speaker, "type": "Person"}]
                        + [{"name": n} for n in others],
                        "relations": [
                            {"source": speaker, "relation": "mentions", "target": n} for n in others
                        ],
                        "valid_from": when,
                        "metadata": {
                            "dia_ids": dia_ids or ["none"],
                            "session": session,
                            "speaker": speaker,
                        },
                    }
                )
    return facts


_ID_CACHE: dict[int, set[str]] = {}


def _all_ids(c: dict[str, Any]) -> set[str]:
    key = id(c)
    if key not in _ID_CACHE:
        _ID_CACHE[key] = {
            t["dia_id"] for k, v in c.items() if re.fullmatch(r"session_\d+", k) for t in v
        }
    return _ID_CACHE[key]


def evaluate(
    recaller: Recaller,
    user: str,
    qa: list[dict],
    known: set[str],
    mode: str,
    stats: dict,
    latencies: list[float],
) -> None:
    for q in qa:
        evidence = normalise_evidence([str(e) for e in q.get("evidence", [])], known)
        if not evidence:
            continue
        start = time.perf_counter()
        out = recaller.search(Request(q["question"], Scope(user_id=user), top_k=K, mode=mode))
        latencies.append(time.perf_counter() - start)
        covered: set[str] = set()
        rr = 0.0
        for rank, item in enumerate(out["results"], 1):
            ids = set(item["metadata"].get("dia_ids", []))
            if not rr and ids & evidence:
                rr = 1.0 / rank
            covered |= ids
        row = stats[(mode, q["category"])]
        row["n"] += 1
        row["all"] += evidence <= covered
        row["frac"] += len(evidence & covered) / len(evidence)
        row["mrr"] += rr
        row["tokens"] += len(out["context"]) / 4


def table(stats: dict, modes: list[str]) -> str:
    lines = [
        "| mode | category | n | R_all@10 | R_frac@10 | MRR | context tokens |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in modes:
        overall = defaultdict(float)
        for cat in sorted(CATEGORIES):
            row = stats[(mode, cat)]
            if not row["n"]:
                continue
            lines.append(_line(mode, f"{cat} {CATEGORIES[cat]}", row))
            if cat != 5:
                for key, value in row.items():
                    overall[key] += value
        lines.append(_line(mode, "**overall (1-4)**", overall))
    return "\n".join(lines)


def _line(mode: str, label: str, row: dict) -> str:
    n = row["n"]
    return (
        f"| {mode} | {label} | {int(n)} | {row['all'] / n:.3f} | {row['frac'] / n:.3f} "
        f"| {row['mrr'] / n:.3f} | {row['tokens'] / n:.0f} |"
    )


def tuning(overrides: dict[str, Any]) -> Tuning:
    """recall.Tuning from JSON overrides ("paths" as a dict of PathSettings fields)."""
    paths = overrides.get("paths")
    if isinstance(paths, dict):
        overrides = {**overrides, "paths": PathSettings(**paths)}
    return Tuning(**overrides)


def sweep(memory, embedder, settings, data, users, tunings) -> None:  # type: ignore[no-untyped-def]
    """Blended recall under several tunings on one ingest (categories 1-4)."""
    print("| tuning | R_all@10 overall | R_all@10 multi-hop | R_frac@10 overall | MRR | p50 ms |")
    print("|---|---|---|---|---|---|")
    for overrides in tunings:
        recaller = Recaller(
            RecallReads(memory.store),
            embedder,
            settings.similarity_threshold,
            tuning(overrides),
        )
        stats: dict = defaultdict(lambda: defaultdict(float))
        lat: list[float] = []
        for conv, user in zip(data, users, strict=True):
            qa = [q for q in conv["qa"] if q["category"] != 5]
            evaluate(recaller, user, qa, _all_ids(conv["conversation"]), "blended", stats, lat)
        total = defaultdict(float)
        for (_, _cat), row in stats.items():
            for key, value in row.items():
                total[key] += value
        hop = stats[("blended", 1)]
        print(
            f"| {json.dumps(overrides)} | {total['all'] / total['n']:.3f} "
            f"| {hop['all'] / hop['n']:.3f} | {total['frac'] / total['n']:.3f} "
            f"| {total['mrr'] / total['n']:.3f} | {statistics.median(lat) * 1000:.0f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--no-keywords", action="store_true")
    parser.add_argument("--modes", default="vector,lexical,blended")
    parser.add_argument("--tuning", default="{}", help="JSON overrides of recall.Tuning")
    parser.add_argument(
        "--sweep", default="", help="JSON list of Tuning overrides: blended only, one row each"
    )
    parser.add_argument(
        "--keep", default=None, metavar="TAG",
        help="name the users by TAG and keep them: a later --reuse TAG skips the ingest",
    )  # fmt: skip
    parser.add_argument("--reuse", default=None, metavar="TAG", help="users kept by --keep TAG")
    args = parser.parse_args()
    data = json.loads(DATA.read_text())
    embedder = LocalEmbedder(MODEL, model_name="sentence-transformers/all-MiniLM-L6-v2")
    settings = Settings(neo4j_uri=args.neo4j_uri, neo4j_password=args.neo4j_password)
    tag = args.reuse or args.keep or uuid.uuid4().hex[:6]
    modes = args.modes.split(",")
    stats: dict = defaultdict(lambda: defaultdict(float))
    latencies: dict[str, list[float]] = defaultdict(list)
    with Memory(settings, embedder=embedder) as memory:
        recaller = Recaller(
            RecallReads(memory.store),
            embedder,
            settings.similarity_threshold,
            tuning(json.loads(args.tuning)),
        )
        users = []
        ingest_s = 0.0
        n_facts = 0
        try:
            for conv in data:
                user = f"locomo-{conv['sample_id']}-{tag}"
                users.append(user)
                facts = facts_of(conv, not args.no_keywords)
                n_facts += len(facts)
                start = time.perf_counter()
                for i in range(0, 0 if args.reuse else len(facts), 150):  # <= 200 per add
                    memory.add_facts(facts[i : i + 150], user_id=user)
                ingest_s += time.perf_counter() - start
            if args.sweep:
                return sweep(memory, embedder, settings, data, users, json.loads(args.sweep))
            for conv, user in zip(data, users, strict=True):
                known = _all_ids(conv["conversation"])
                for mode in modes:
                    evaluate(recaller, user, conv["qa"], known, mode, stats, latencies[mode])
        finally:
            for user in users if not (args.keep or args.reuse) else []:
                memory.reset(user_id=user)
    report = [
        f"LoCoMo-R dev split: {len(data)} conversations, {n_facts} observations, "
        f"entities: names{'' if args.no_keywords else ' + keywords'}; "
        f"ingest (embed + write) {ingest_s:.1f} s; k = {K}; tuning {args.tuning}",
        "",
        table(stats, modes),
        "",
        "| mode | search p50 ms | search p95 ms |",
        "|---|---|---|",
    ]
    for mode in modes:
        lat = sorted(latencies[mode])
        p95 = lat[int(0.95 * (len(lat) - 1))]
        report.append(f"| {mode} | {statistics.median(lat) * 1000:.1f} | {p95 * 1000:.1f} |")
    text = "\n".join(report)
    print(text)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
