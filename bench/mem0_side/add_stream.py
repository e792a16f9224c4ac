"""Runs in the mem0 venv: feed a conversation to mem0ai 1.0.11 Memory.add with graph memory.

    /tmp/mem0-venv/bin/python bench/mem0_side/add_stream.py --job job.json --out out.json

job.json: {"config": <mem0 MemoryConfig dict with graph_store>, "turns": [text, ...],
"user_id": "..."}. One add() per turn, timed with time.monotonic() (system-wide on Linux,
so the caller can attribute the scripted server's requests to turns by their arrival time).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import traceback
from typing import Any

os.environ.setdefault("MEM0_TELEMETRY", "false")

from mem0 import Memory


def run(job: dict[str, Any]) -> dict[str, Any]:
    memory = Memory.from_config(job["config"])
    rows = []
    for text in job["turns"]:
        start = time.monotonic()
        error = None
        try:
            result = memory.add(text, user_id=job["user_id"])
        except Exception:
            result, error = None, traceback.format_exc(limit=3)
        rows.append({"start": start, "end": time.monotonic(), "result": result, "error": error})
    return {"rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.job, encoding="utf-8") as fh:
        job = json.load(fh)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(run(job), fh, default=str)


if __name__ == "__main__":
    main()
