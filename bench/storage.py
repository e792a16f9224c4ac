"""Bytes on disk per fact and per vector, for sizing a deployment (docs/scaling.md).

    python bench/storage.py --facts 5000

Starts a throwaway Neo4j (the version graphmem runs by default, no Docker) in a temp home
on free ports, loads --facts generated facts (bench/benchlib.py: 2-3 typed entities and
1-2 relations each, as bench/ingest.py writes them) through Memory.add_facts into --users
scopes, with real all-MiniLM-L6-v2 vectors computed beforehand (bench/ingest.py's cache),
and reads the sizes of the database's files under <home>/data/databases/neo4j with the
server stopped (a clean shutdown checkpoints; Community has no db.checkpoint()) before and
after the load: the store files (nodes, relationships, properties, strings, arrays: what
the page cache holds) and each index directory under schema/index by index name (range
indexes are in the page cache too; vector and fulltext indexes are Lucene, in OS memory).
Transaction logs are left out (they rotate). Light: a few thousand facts.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchlib import (
    SEED,
    LookupEmbedder,
    embed_cached,
    entity_names,
    fact_pool,
    free_port,
    machine,
    markdown_table,
    save_json,
    save_markdown,
)
from ingest import fact_input, precomputed

from graphmem import neo4j_server
from graphmem.memory import Memory

STORE_PREFIX = "neostore"


def sizes(db_dir: Path) -> dict[str, int]:
    """Bytes per part of a stopped server's database: 'store:<file>' and
    'index:<provider>/<id>' (named by named())."""
    found: dict[str, int] = defaultdict(int)
    for path in db_dir.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(db_dir).parts
        if relative[0].startswith(STORE_PREFIX):
            found[f"store:{relative[0]}"] += path.stat().st_size
        elif relative[:2] == ("schema", "index") and len(relative) > 3:
            found[f"index:{relative[2]}/{relative[3]}"] += path.stat().st_size
    return dict(found)


def named(parts: dict[str, int], ids: dict[str, str]) -> dict[str, int]:
    """Index directories renamed by the index they hold ('index:graphmem_text')."""
    renamed = {}
    for key, size in parts.items():
        if key.startswith("index:"):
            index_id = key.rsplit("/", 1)[1]
            key = f"index:{ids.get(index_id, key.removeprefix('index:'))}"
        renamed[key] = size
    return renamed


def index_ids(memory: Memory) -> dict[str, str]:
    records, _, _ = memory.store.driver.execute_query("SHOW INDEXES YIELD id, name")
    return {str(r["id"]): r["name"] for r in records}


def counts(memory: Memory) -> dict[str, int]:
    records, _, _ = memory.store.driver.execute_query(
        "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n"
    )
    found = {r["label"]: r["n"] for r in records}
    rels, _, _ = memory.store.driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n")
    found["relationships"] = rels[0]["n"]
    return found


class Server:
    """A throwaway Neo4j in its own home, started and stopped on demand."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.password = secrets.token_urlsafe(18)
        self.ports = (free_port(), free_port())
        self.uri = ""

    def start(self) -> None:
        info = neo4j_server.start(
            self.home,
            bolt_port=self.ports[0],
            http_port=self.ports[1],
            password=self.password,
            heap="512m",
            pagecache="256m",
            prefer_docker=False,
        )
        self.uri = info.uri

    def stop(self) -> None:
        neo4j_server.stop(self.home)

    def memory(self, embedder: LookupEmbedder) -> Memory:
        return Memory(embedder=embedder, neo4j_uri=self.uri, neo4j_password=self.password)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facts", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-call", type=int, default=100)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/graphmem-bench-cache"))
    args = parser.parse_args()

    specs = fact_pool(args.facts, seed=SEED)
    texts = [s.text for s in specs]
    table = dict(zip(texts, precomputed(texts, args.cache).tolist(), strict=True))
    names = entity_names()
    table |= dict(
        zip(names, embed_cached(names, args.cache / "entities.npy").tolist(), strict=True)
    )
    embedder = LookupEmbedder(table)
    server = Server(Path(tempfile.mkdtemp(prefix="graphmem-storage-")))
    try:
        server.start()
        with server.memory(embedder) as memory:  # the schema only
            db_dir = server.home / "data" / "databases" / memory.store.database
        server.stop()
        before = sizes(db_dir)
        server.start()
        users = [f"storage-{i:03d}" for i in range(args.users)]
        with server.memory(embedder) as memory:
            start = time.perf_counter()
            for n, i in enumerate(range(0, len(specs), args.per_call)):
                chunk = [fact_input(s) for s in specs[i : i + args.per_call]]
                memory.add_facts(chunk, user_id=users[n % len(users)])
            seconds = time.perf_counter() - start
            ids, found = index_ids(memory), counts(memory)
        server.stop()
        after = sizes(db_dir)
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)
    report(named(before, ids), named(after, ids), found, seconds)


def report(
    before: dict[str, int],
    after: dict[str, int],
    found: dict[str, int],
    seconds: float,
) -> None:
    facts, entities = found.get("Fact", 0), found.get("Entity", 0)
    grown = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    store = sum(v for k, v in grown.items() if k.startswith("store:"))
    arrays = grown.get("store:neostore.propertystore.db.arrays", 0)
    index = {k.removeprefix("index:"): v for k, v in grown.items() if k.startswith("index:")}
    vector_fact = index.get("graphmem_fact_embedding", 0)
    vector_entity = index.get("graphmem_entity_embedding", 0)
    lucene = vector_fact + vector_entity + index.get("graphmem_text", 0)
    native = sum(index.values()) - lucene
    results: dict[str, Any] = {
        "facts": facts,
        "entities": entities,
        "nodes_by_label": found,
        "load_seconds": round(seconds, 1),
        "store_bytes": store,
        "store_bytes_per_fact": round(store / facts),
        # The arrays store holds the facts' and entities' float vectors and the facts'
        # float16 copies (store/vectors.py): per fact, not per vector.
        "arrays_bytes_per_fact": round(arrays / facts),
        "fact_vector_index_bytes_per_fact": round(vector_fact / facts),
        "entity_vector_index_bytes_per_entity": round(vector_entity / max(entities, 1)),
        "fulltext_index_bytes_per_fact": round(index.get("graphmem_text", 0) / facts),
        "native_index_bytes_per_fact": round(native / facts),
        "page_cache_bytes_per_fact": round((store + native) / facts),
        "lucene_bytes_per_fact": round(lucene / facts),
        "grown_by_part": grown,
    }
    rows = [[k, v] for k, v in results.items() if not isinstance(v, dict)]
    text = markdown_table(("measure", "value"), rows)
    parts = markdown_table(("part", "bytes grown"), sorted(grown.items(), key=lambda kv: -kv[1]))
    print(text)
    print(parts)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save_json("storage.json", {"machine": machine(), "date": stamp, "results": results})
    body = f"{machine()}\n\n{__doc__.split(chr(10))[0]}\n\n{text}\n\nBy part:\n\n{parts}\n"
    save_markdown("storage.md", "Storage per fact (bench/storage.py)", body)


if __name__ == "__main__":
    main()
