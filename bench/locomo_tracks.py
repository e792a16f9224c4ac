"""LoCoMo-R on the dev split, every track: raw turns, facts, facts + graph; vector, lexical,
blended. Reuses bench/locomo_recall.py (its ingest rule, evidence handling and scoring).

    python bench/locomo_tracks.py --neo4j-uri bolt://127.0.0.1:27687 --neo4j-password ...

Tracks (each conversation is one user per track; everything is removed at the end):
- turns: every dialogue turn stored as one memory ("Speaker: text", plus the image caption
  when the turn shares a photo), metadata dia_ids = [its dia_id]; no entities, no graph;
- facts: the dataset's observations (LLM-extracted facts with evidence ids), no entities;
- facts+graph: the observations with entities and relations, exactly as locomo_recall.py
  writes them (speaker self entity, capitalised names + keywords, MENTIONS relations).
Modes: vector-only, lexical-only, blended (graph proximity only where there is a graph).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import uuid
from collections import defaultdict
from typing import Any

from benchlib import machine, save_json, save_markdown
from locomo_recall import CATEGORIES, DATA, MODEL, _all_ids, evaluate, facts_of, session_date

from graphmem.config import Settings
from graphmem.embed.local import LocalEmbedder
from graphmem.memory import Memory
from graphmem.recall import Recaller
from graphmem.store.recall_reads import RecallReads

TRACKS = ("turns", "facts", "facts+graph")
MODES = ("vector", "lexical", "blended")


def turns_of(conv: dict[str, Any]) -> list[dict[str, Any]]:
    c = conv["conversation"]
    out = []
    for key, turns in c.items():
        if not re.fullmatch(r"session_\d+", key):
            continue
        when = session_date(c.get(f"{key}_date_time", ""))
        for t in turns:
            text = f"{t['speaker']}: {t['text']}"
            if t.get("blip_caption"):
                text += f" [shares a photo: {t['blip_caption']}]"
            out.append(
                {
                    "text": text,
                    "valid_from": when,
                    "metadata": {"dia_ids": [t["dia_id"]], "speaker": t["speaker"]},
                }
            )
    return out


def memories(conv: dict[str, Any], track: str) -> list[dict[str, Any]]:
    if track == "turns":
        return turns_of(conv)
    facts = facts_of(conv, True)
    if track == "facts":
        return [{k: v for k, v in f.items() if k not in ("entities", "relations")} for f in facts]
    return facts


def summarise(stats: dict, track: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in MODES:
        total: dict[str, float] = defaultdict(float)
        per_cat = {}
        for cat in sorted(CATEGORIES):
            row = stats[(mode, cat)]
            if not row["n"]:
                continue
            per_cat[CATEGORIES[cat]] = {
                "n": int(row["n"]),
                "r_all10": round(row["all"] / row["n"], 4),
                "r_frac10": round(row["frac"] / row["n"], 4),
                "mrr": round(row["mrr"] / row["n"], 4),
                "context_tokens": round(row["tokens"] / row["n"], 1),
            }
            if cat != 5:
                for key, value in row.items():
                    total[key] += value
        overall = {
            "n": int(total["n"]),
            "r_all10": round(total["all"] / total["n"], 4),
            "r_frac10": round(total["frac"] / total["n"], 4),
            "mrr": round(total["mrr"] / total["n"], 4),
            "context_tokens": round(total["tokens"] / total["n"], 1),
        }
        out[mode] = {"overall_1_4": overall, "categories": per_cat}
    return {"track": track, **out}


def run_track(memory: Memory, recaller: Recaller, data: list, track: str) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    users, stats = [], defaultdict(lambda: defaultdict(float))
    latencies: dict[str, list[float]] = defaultdict(list)
    written, start = 0, time.perf_counter()
    try:
        for conv in data:
            user = f"locomo-{track}-{conv['sample_id']}-{tag}"
            users.append(user)
            items = memories(conv, track)
            written += len(items)
            for i in range(0, len(items), 150):
                memory.add_facts(items[i : i + 150], user_id=user)
        ingest_s = time.perf_counter() - start
        for conv, user in zip(data, users, strict=True):
            known = _all_ids(conv["conversation"])
            for mode in MODES:
                evaluate(recaller, user, conv["qa"], known, mode, stats, latencies[mode])
    finally:
        for user in users:
            memory.reset(user_id=user)
    result = summarise(stats, track)
    result["memories"] = written
    result["ingest_s"] = round(ingest_s, 1)
    result["blended_p50_ms"] = round(statistics.median(latencies["blended"]) * 1000, 1)
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| track | mode | R_all@10 overall | R_all@10 multi-hop | R_all@10 temporal "
        "| R_all@10 open-domain | R_all@10 single-hop | R_frac@10 | MRR | context tokens |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for mode in MODES:
            o, c = r[mode]["overall_1_4"], r[mode]["categories"]
            cats = [
                c.get(n, {}).get("r_all10", float("nan")) for n in list(CATEGORIES.values())[:4]
            ]
            lines.append(
                f"| {r['track']} | {mode} | {o['r_all10']:.3f} | "
                + " | ".join(f"{x:.3f}" for x in cats)
                + f" | {o['r_frac10']:.3f} | {o['mrr']:.3f} | {o['context_tokens']:.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-password", default="graphmem-local")
    parser.add_argument("--tracks", default=",".join(TRACKS))
    parser.add_argument("--out", default="locomo_tracks", help="results/<out>.json and .md")
    args = parser.parse_args()
    data = json.loads(DATA.read_text())
    embedder = LocalEmbedder(MODEL, model_name="sentence-transformers/all-MiniLM-L6-v2")
    settings = Settings(neo4j_uri=args.neo4j_uri, neo4j_password=args.neo4j_password)
    results = []
    with Memory(settings, embedder=embedder) as memory:
        recaller = Recaller(RecallReads(memory.store), embedder, settings.similarity_threshold)
        for track in args.tracks.split(","):
            results.append(run_track(memory, recaller, data, track))
            print(table(results[-1:]), flush=True)
            save(args.out, results)
    print(table(results))


def save(out: str, results: list[dict[str, Any]]) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save_json(f"{out}.json", {"machine": machine(), "date": stamp, "results": results})
    save_markdown(
        f"{out}.md",
        "LoCoMo-R dev split (6 conversations), k = 10, categories 1-4 overall",
        f"{machine()}\n\n{table(results)}\n",
    )


if __name__ == "__main__":
    main()
