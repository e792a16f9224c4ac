"""Issue 15, re-embedding: `graphmem reembed` moves a database to another embedder as a
resumable job, and search never answers from a mix of two models' vectors.

These tests run on a Neo4j of their own (switching the model of the session's database
would pull it from under every other test). The second model is a real embedder of another
dimension: a deterministic hashing embedder (bag of words hashed into 64 buckets,
L2-normalised), registered as provider "hashing" so the CLI builds it as it builds any
provider; all-MiniLM-L6-v2 (384 dimensions) is the other. The job's code paths are the
real ones: the CLI, the checkpoint node, the Cypher, the switch.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from graphmem.config import Settings
from graphmem.embed import Embedder, register_embedder
from graphmem.embed.local import LocalEmbedder
from graphmem.errors import SchemaMismatchError
from graphmem.memory import Memory
from graphmem.reembed import ReembedError, reembed
from graphmem.store import neo4j as store_module
from graphmem.store.neo4j import GraphStore
from graphmem.store.schema import read_space
from tests.cli_runner import cli_env, run
from tests.neo4j_session import Neo4jTarget, _launched

_WORD = re.compile(r"\w+")


class HashingEmbedder(Embedder):
    """Words hashed into `dimension` buckets (sha1, so stable across processes)."""

    name = "hashing"

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model(self) -> str:
        return f"hash-{self._dimension}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            vector = np.full(self._dimension, 1e-3)
            for word in _WORD.findall(text.lower()):
                digest = hashlib.sha1(word.encode()).digest()
                vector[int.from_bytes(digest[:4], "big") % self._dimension] += 1.0
            vectors.append((vector / np.linalg.norm(vector)).tolist())
        return vectors


register_embedder("hashing", lambda s: HashingEmbedder(int(s.embedder_model.split("-")[1])))


class Counting(Embedder):
    """Another embedder, counting every text it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    name = "counting"

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def model(self) -> str:
        return self.inner.model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jTarget]:
    yield from _launched(tmp_path_factory, "neo4j-reembed")


@pytest.fixture(scope="module")
def db_settings(server: Neo4jTarget, settings: Settings) -> Settings:
    """The session's settings, pointed at this module's server."""
    target = {"neo4j_uri": server.uri, "neo4j_user": server.user}
    return settings.model_copy(update={**target, "neo4j_password": SecretStr(server.password)})


def _facts(tag: str, n: int) -> list[dict]:
    cities = ["Utrecht", "Lisbon", "Kyoto", "Quito", "Hobart", "Oslo", "Nairobi"]
    return [
        {
            "text": f"{tag}friend{i} lives in {cities[i % len(cities)]} and plays {tag}sport{i}.",
            "entities": [{"name": f"{tag}friend{i}", "type": "Person"}],
        }
        for i in range(n)
    ]


def _nodes(store: GraphStore) -> dict[str, dict]:
    records, _, _ = store.driver.execute_query(
        "MATCH (n) WHERE n:Fact OR n:Entity "
        "RETURN n.id AS id, n:Fact AS fact, coalesce(n.text, n.name) AS text, "
        "n.embedding AS a, n.embedding_b AS b, n.embedding_f16 AS a16, n.embedding_b_f16 AS b16"
    )
    return {r["id"]: dict(r) for r in records}


def _vector_indexes(store: GraphStore) -> dict[str, int]:
    records, _, _ = store.driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, options "
        "RETURN name, options.indexConfig['vector.dimensions'] AS dimension"
    )
    return {r["name"]: r["dimension"] for r in records}


def test_a_full_job_switches_model_and_dimension(
    db_settings: Settings,
    embedder: LocalEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = Memory(db_settings, embedder=embedder)
    old.add_facts(_facts("alpha", 12), user_id="u1")
    assert read_space(old.store.driver, old.store.database).model == embedder.model

    result = run(
        cli_env(db_settings, tmp_path),
        "reembed", "--provider", "hashing", "--model", "hash-64",
        "--batch-size", "5", "--grace-seconds", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "done" in result.output

    space = read_space(old.store.driver, old.store.database)
    assert (space.slot.name, space.model, space.dimension) == ("b", "hash-64", 64)
    indexes = _vector_indexes(old.store)
    assert indexes == {"graphmem_fact_embedding_b": 64, "graphmem_entity_embedding_b": 64}
    nodes = _nodes(old.store)
    hashing = HashingEmbedder(64)
    assert nodes and all(n["a"] is None and n["a16"] is None for n in nodes.values())
    for node in nodes.values():
        assert np.allclose(node["b"], hashing.embed_one(node["text"]), atol=1e-6)
        # A fact's float16 copy moved with its vector (recall scores large scopes from it).
        if node["fact"]:
            unit = np.asarray(node["b"]) / np.linalg.norm(node["b"])
            assert np.allclose(np.frombuffer(node["b16"], "<f2"), unit, atol=1e-3)
        else:
            assert node["b16"] is None

    # A process still on the old model sees the switch within SPACE_TTL_S and refuses to
    # search rather than compare its 384-dimensional queries with the new vectors.
    monkeypatch.setattr(store_module, "SPACE_TTL_S", 0.0)
    with pytest.raises(SchemaMismatchError) as stale:
        old.search("Who lives in Kyoto?", user_id="u1")
    assert "hash-64" in str(stale.value) and embedder.model in str(stale.value)
    old.close()
    with pytest.raises(SchemaMismatchError) as refused:
        Memory(db_settings, embedder=embedder)
    assert "hash-64" in str(refused.value) and "384" in str(refused.value)

    with Memory(db_settings, embedder=hashing) as new:
        found = new.search("alphafriend3 alphasport3", user_id="u1", top_k=3)
        assert found["results"][0]["memory"].startswith("alphafriend3 lives in")

        # A store whose facts lack their float16 copies (an older graphmem wrote them) gets
        # them from `graphmem upgrade`, in the active slot; a second run has nothing to do.
        new.store.driver.execute_query("MATCH (f:Fact) REMOVE f.embedding_b_f16")
        result = run(cli_env(db_settings, tmp_path), "upgrade", "--batch-size", "5")
        after = _nodes(new.store)
    assert result.exit_code == 0, result.output
    assert "done: 12 facts" in result.output
    for node in after.values():
        assert node["a16"] is None
        if node["fact"]:
            copy, unit = np.frombuffer(node["b16"], "<f2"), np.asarray(node["b"])
            assert np.allclose(copy, unit / np.linalg.norm(unit), atol=1e-3)
    again = run(cli_env(db_settings, tmp_path), "upgrade")
    assert "done: 0 facts" in again.output


def test_a_job_stopped_midway_resumes_catches_up_writes_and_embeds_each_node_once(
    db_settings: Settings, embedder: LocalEmbedder
) -> None:
    store = GraphStore.connect(db_settings)
    space = read_space(store.driver, store.database)
    hashing = HashingEmbedder(64)
    # From whichever model the database now has to the other (the first test leaves hash-64).
    old, new = (hashing, embedder) if space.model == hashing.model else (embedder, hashing)
    with Memory(db_settings, embedder=old) as memory:
        memory.add_facts(_facts("beta", 10), user_id="u2")
        query = "betafriend4 betasport4 Hobart"
        before = memory.search(query, user_id="u2", top_k=5)["results"]

        counting = Counting(new)
        stopped = reembed(store, counting, provider="test", batch_size=4, max_batches=2)
        assert (stopped.status, stopped.batches, stopped.nodes) == ("stopped", 2, 8)
        job = dict(store.read("MATCH (j:ReembedJob) RETURN j {.*} AS j", {})[0]["j"])
        assert (job["phase"], job["batches"], job["nodes"]) == ("embed", 2, 8)
        assert read_space(store.driver, store.database) == space

        # Search during the job answers from the old vectors only: the same hits, scores.
        during = memory.search(query, user_id="u2", top_k=5)["results"]
        assert [(r["id"], r["score"]) for r in during] == [(r["id"], r["score"]) for r in before]
        # A write during the job lands in the old slot; the job catches it up.
        late = memory.add_facts(
            [
                {
                    "text": "betalate moved to Reykjavik last week.",
                    "entities": [{"name": "betalate"}],
                }
            ],
            user_id="u2",
        )["results"][0]["id"]

    other = HashingEmbedder(32)
    with pytest.raises(ReembedError, match="--restart") as refused:
        reembed(store, other, provider="test")
    assert new.model in str(refused.value)

    done = reembed(store, counting, provider="test", batch_size=4, grace_s=0)
    assert done.status == "done"
    nodes = _nodes(store)
    # Every node embedded exactly once over both runs: no committed batch embedded again.
    assert len(counting.texts) == len(nodes)
    assert Counter(counting.texts) == Counter(n["text"] for n in nodes.values())
    property_ = "a" if space.slot.name == "b" else "b"
    assert all(
        n[property_] is not None and n["ab"[property_ == "a"]] is None for n in nodes.values()
    )
    assert store.read("MATCH (j:ReembedJob) RETURN count(j) AS n", {})[0]["n"] == 0
    store.close()

    with Memory(db_settings, embedder=new) as memory:
        found = memory.search("Who moved to Reykjavik?", user_id="u2", top_k=3)["results"]
        assert late in [r["id"] for r in found]
        assert np.allclose(nodes[late][property_], new.embed_one(nodes[late]["text"]), atol=1e-5)


def test_one_model_under_its_providers_names_is_one_model() -> None:
    """The recorded model is compared by identity, not spelling: the hub name, a local
    folder's name and Ollama's tag of graphmem's default model are the same vectors."""
    from graphmem.store.vectors import same_model

    default = "sentence-transformers/all-MiniLM-L6-v2"
    assert same_model(default, "all-MiniLM-L6-v2")
    assert same_model(default, "all-minilm") and same_model(default, "all-minilm:latest")
    assert not same_model(default, "nomic-embed-text") and not same_model("hash-64", "hash-32")
