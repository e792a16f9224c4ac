"""PNG plots of the last bench run, from the JSON files under bench/results/.

python bench/plots.py      (needs matplotlib; each plot is skipped if its data is missing)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from benchlib import RESULTS


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def save(fig: Any, name: str) -> Path:
    path = RESULTS / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scale_plot(data: dict[str, Any]) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = (
        ("search_no_embedding", "graphmem search() without embedding", "tab:blue"),
        ("search_end_to_end", "graphmem search() end to end", "tab:green"),
        ("brute_force_scan", "brute-force cosine scan (label scan)", "tab:red"),
        ("indexed_scan", "brute-force cosine scan (indexed)", "tab:orange"),
    )
    for key, label, colour in series:
        measured = [r for r in data["results"] if key in r["measure"]]
        if not measured:  # runs before the indexed scan was measured
            continue
        facts = [r["facts"] for r in measured]
        p50 = [r["measure"][key]["p50_ms"] for r in measured]
        p95 = [r["measure"][key]["p95_ms"] for r in measured]
        ax.plot(facts, p50, "o-", color=colour, label=f"{label} p50")
        ax.plot(facts, p95, "s--", color=colour, alpha=0.6, label=f"{label} p95")
    ax.axhline(25, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("facts in the graph (1,000 users, Zipf)")
    ax.set_ylabel("latency, ms")
    ax.set_title("Recall latency at scale")
    ax.legend(fontsize=7)
    return save(fig, "scale_latency.png")


def bars(name: str, title: str, labels: list[str], values: list[float], ylabel: str) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    shown = ax.bar(range(len(values)), values, color="tab:blue")
    ax.bar_label(shown, fmt="%.1f", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=12)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return save(fig, name)


def peers_plot(data: dict[str, Any]) -> Path | None:
    keys = (
        ("graphmem_e2e", "graphmem e2e"),
        ("graphmem_no_embedding", "graphmem no embed"),
        ("scan", "cosine scan"),
        ("mem0_graph_search", "mem0 graph search"),
        ("mem0_graph_search_without_llm_call", "mem0 minus LLM call"),
    )
    present = [(k, label) for k, label in keys if k in data]
    return bars(
        "peers_search.png",
        f"Search p50 at {data['scale']:,} facts (same data, queries, Neo4j)",
        [label for _, label in present],
        [data[k]["p50_ms"] for k, _ in present],
        "p50 ms",
    )


def cost_plot(data: dict[str, Any]) -> Path:
    systems = [s for s in ("graphmem", "mem0") if s in data]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
    for ax, key, label in (
        (axes[0], "llm_calls_per_add", "LLM calls per add"),
        (axes[1], "prompt_tokens_per_add", "prompt tokens per add"),
    ):
        shown = ax.bar(systems, [data[s][key] for s in systems], color=["tab:blue", "tab:red"])
        ax.bar_label(shown, fmt="%.2f" if "calls" in key else "%.0f")
        ax.set_title(label)
    fig.suptitle("Cost per add, 50-turn conversation (scripted LLM)")
    return save(fig, "cost_per_add.png")


def locomo_plot(data: dict[str, Any]) -> Path:
    modes = ("vector", "lexical", "blended")
    tracks = [r["track"] for r in data["results"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.25
    for i, mode in enumerate(modes):
        values = [r[mode]["overall_1_4"]["r_all10"] for r in data["results"]]
        xs = [x + (i - 1) * width for x in range(len(tracks))]
        shown = ax.bar(xs, values, width, label=mode)
        ax.bar_label(shown, fmt="%.2f", fontsize=7)
    ax.set_xticks(range(len(tracks)), tracks)
    ax.set_ylabel("R_all@10, categories 1-4")
    ax.set_title("LoCoMo-R dev split")
    ax.legend()
    return save(fig, "locomo_tracks.png")


def ingest_plot(data: dict[str, Any]) -> Path:
    ok = [r for r in data["results"] if "facts_per_s" in r]
    return bars(
        "ingest.png",
        "add_facts throughput",
        [f"{r['mode']} embeddings" for r in ok],
        [r["facts_per_s"] for r in ok],
        "facts / s",
    )


def main() -> None:
    makers = (
        ("scale.json", scale_plot),
        ("peers_search.json", peers_plot),
        ("cost_per_add.json", cost_plot),
        ("locomo_tracks.json", locomo_plot),
        ("ingest.json", ingest_plot),
    )
    for name, make in makers:
        data = load(name)
        if data is None:
            print(f"skipped {name}: not found")
            continue
        try:
            print(f"wrote {make(data)}")
        except (KeyError, ValueError, TypeError) as exc:
            print(f"skipped {name}: {exc!r}")


if __name__ == "__main__":
    main()
