"""Where the store's vectors live: two vector slots, and the embedding space recorded in the
database that says which slot, model and dimension every process answers from.

A slot is a node property holding the vectors plus the two vector indexes over it. Slot A
is `embedding` with `graphmem_fact_embedding` / `graphmem_entity_embedding` (the names every
database had before re-embedding existed, so those need no migration); slot B is
`embedding_b` with the same index names ending `_b`. `graphmem reembed` (graphmem/reembed.py)
writes a new model's vectors into the slot the store does not answer from, then switches
the recorded space to it in one transaction, so search never compares vectors of two models.

Every statement the store runs gets the active slot's names as parameters
(`$vector_property`, `$f16_property`, `$fact_index`, `$entity_index`; GraphStore adds
them), so the Cypher files read `f[$vector_property]` and
`db.index.vector.queryNodes($fact_index, ...)`. The CREATE statements name a property
literally, so each slot has its schema files.

A fact also keeps its vector as float16 bytes (`embedding_f16`, slot B `embedding_b_f16`: the
unit vector, 2 bytes a dimension, `f16_bytes`). Recall reads those where it scores hundreds or
thousands of facts at once and scores them in the client (`f16_similarities`): on Neo4j 5.26 a
byte array comes back as it is stored, where reading a float list and `vector.similarity.cosine`
cost ~15 us a fact on the server (bench/README.md section 7). A float16 unit vector's cosine to
a unit query is within F16_SIMILARITY_ERROR of the stored vector's, so recall re-scores what
it keeps from the stored vector where an exact top-k is promised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphmem.errors import SchemaMismatchError


@dataclass(frozen=True)
class VectorSlot:
    """A vector property and the vector indexes over it."""

    name: str
    property: str
    fact_index: str
    entity_index: str
    schema: str  # cypher/<schema>.cypher creates the indexes
    schema_search: str  # the same with SEARCH filter properties (2026.06+)

    @property
    def f16_property(self) -> str:
        """Where a fact keeps this slot's vector as float16 bytes (f16_bytes)."""
        return f"{self.property}_f16"

    def params(self) -> dict[str, str]:
        """The slot as the parameters every statement receives."""
        return {
            "vector_property": self.property,
            "f16_property": self.f16_property,
            "fact_index": self.fact_index,
            "entity_index": self.entity_index,
        }


SLOT_A = VectorSlot(
    "a",
    "embedding",
    "graphmem_fact_embedding",
    "graphmem_entity_embedding",
    "schema_vectors",
    "schema_search",
)
SLOT_B = VectorSlot(
    "b",
    "embedding_b",
    "graphmem_fact_embedding_b",
    "graphmem_entity_embedding_b",
    "schema_vectors_b",
    "schema_search_b",
)
SLOTS = {slot.name: slot for slot in (SLOT_A, SLOT_B)}
# Node properties that hold vectors, whichever slot is active: never shown or exported.
VECTOR_PROPERTIES = frozenset(
    name for slot in SLOTS.values() for name in (slot.property, slot.f16_property)
)

# How far a cosine from float16 unit vectors can lie from the float32 one (in cosine units:
# Neo4j's vector.similarity.cosine, (1 + cosine) / 2, moves half as far): each stored
# component is rounded to 11 significant bits (relative error <= 2**-11), so the dot product
# moves by at most 2**-11 * sum(|q_i| |v_i|) <= 2**-11 for unit vectors, and renormalising the
# rounded vector by as much again.
F16_SIMILARITY_ERROR = 2.0**-10 + 1e-6  # (+ subnormals: at most ~6e-7 in all)


def f16_bytes(vector: Sequence[float]) -> bytes:
    """A vector as recall's float16 copy: the unit vector, little-endian float16."""
    unit = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(unit))
    if norm > 0:
        unit = unit / norm
    return unit.astype("<f2").tobytes()


def vector_values(stored: bytes | Sequence[float] | None) -> np.ndarray | None:
    """A stored vector or its float16 copy (f16_bytes) as float32 values."""
    if stored is None:
        return None
    if isinstance(stored, bytes | bytearray):
        return np.frombuffer(stored, dtype="<f2").astype(np.float32)
    return np.asarray(stored, dtype=np.float32)


def f16_similarities(query: Sequence[float], blobs: Sequence[bytes]) -> np.ndarray:
    """Cosine of `query` to each float16 copy (f16_bytes), within F16_SIMILARITY_ERROR."""
    q = np.asarray(query, dtype=np.float32)
    if not blobs:
        return np.zeros(0, dtype=np.float32)
    matrix = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), q.size)
    matrix = matrix.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(q)), 1e-12)
    return (matrix @ q) / np.where(norms > 0, norms, 1.0)


# One model under the names its providers give it: the hub's, a local folder's, Ollama's tag
# (graphmem's default local model and Ollama's all-minilm make the same vectors).
_MODEL_ALIASES = {"all-minilm": "all-minilm-l6-v2", "all-minilm:l6-v2": "all-minilm-l6-v2"}


def same_model(a: str, b: str) -> bool:
    """Whether two model names name one model: equal once the hub owner ("sentence-
    transformers/"), a ":latest" tag and case are set aside, or known aliases."""
    return _canonical(a) == _canonical(b)


def _canonical(name: str) -> str:
    base = name.rsplit("/", 1)[-1].lower().removesuffix(":latest")
    return _MODEL_ALIASES.get(base, base)


def other_slot(slot: VectorSlot) -> VectorSlot:
    """The slot a re-embedding job writes while the store answers from `slot`."""
    return SLOT_B if slot is SLOT_A else SLOT_A


@dataclass(frozen=True)
class EmbeddingSpace:
    """What the store answers from: a slot, and the model and dimension of its vectors."""

    slot: VectorSlot
    model: str
    dimension: int

    @classmethod
    def from_record(cls, record: Any) -> EmbeddingSpace:
        return cls(SLOTS[record["slot"]], str(record["model"]), int(record["dimension"]))

    def check(self, model: str, dimension: int) -> None:
        """Refuse an embedder other than the one whose vectors the store answers from."""
        if dimension != self.dimension or not same_model(model, self.model):
            raise SchemaMismatchError(
                f"the database's vectors are from embedding model {self.model!r} "
                f"({self.dimension} dimensions), but the configured embedder is {model!r} "
                f"({dimension} dimensions). Configure the database's model "
                "(GRAPHMEM_EMBEDDER_MODEL / GRAPHMEM_EMBEDDER_PATH / GRAPHMEM_EMBEDDER_PROVIDER), "
                "or re-embed the database with yours: graphmem reembed --model ..."
            )
