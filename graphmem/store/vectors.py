"""Where the store's vectors live: two vector slots, and the embedding space recorded in the
database that says which slot, model and dimension every process answers from.

A slot is a node property holding the vectors plus the two vector indexes over it. Slot A
is `embedding` with `graphmem_fact_embedding` / `graphmem_entity_embedding` (the names every
database had before re-embedding existed, so those need no migration); slot B is
`embedding_b` with the same index names ending `_b`. `graphmem reembed` (graphmem/reembed.py)
writes a new model's vectors into the slot the store does not answer from, then switches
the recorded space to it in one transaction, so search never compares vectors of two models.

Every statement the store runs gets the active slot's names as parameters
(`$vector_property`, `$fact_index`, `$entity_index`; GraphStore adds them), so the Cypher
files read `f[$vector_property]` and `db.index.vector.queryNodes($fact_index, ...)`. The
CREATE statements name a property literally, so each slot has its schema files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    def params(self) -> dict[str, str]:
        """The slot as the parameters every statement receives."""
        return {
            "vector_property": self.property,
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
VECTOR_PROPERTIES = frozenset(slot.property for slot in SLOTS.values())


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
