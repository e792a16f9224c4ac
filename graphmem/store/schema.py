"""Schema bootstrap: constraints, vector, fulltext and range indexes, applied idempotently."""

from __future__ import annotations

from neo4j import Driver, RoutingControl

from graphmem.errors import SchemaMismatchError
from graphmem.store.cypher import query, statements
from graphmem.store.vectors import SLOT_A, EmbeddingSpace, VectorSlot

INDEX_ONLINE_TIMEOUT_S = 300


def ensure_schema(
    driver: Driver,
    database: str,
    dimension: int,
    model: str | None = None,
    *,
    search: bool = False,
) -> EmbeddingSpace | None:
    """Create what is missing, refuse vectors of another model or dimension, wait until
    online; returns the database's embedding space (store/vectors.py).

    A database recording no space yet has its vectors in slot A: its indexes must be of
    `dimension`, and with `model` given the space is recorded as (slot A, model,
    dimension). A recorded space must match `model` (when given) and `dimension`. The
    vector indexes are then those of the space's slot. With ``search`` (a server whose
    SEARCH clause filters inside the index), they are first created with their filter
    properties (cypher/schema_search.cypher); the plain statements of the same names then
    find them and do nothing.
    """
    for statement in statements("schema"):
        driver.execute_query(statement, database_=database)
    space = read_space(driver, database)
    if space is None:
        check_vector_dimensions(driver, database, dimension)
        if model is not None:
            space = record_space(driver, database, EmbeddingSpace(SLOT_A, model, dimension))
    if space is not None:
        space.check(model if model is not None else space.model, dimension)
    ensure_vector_indexes(
        driver, database, space.slot if space else SLOT_A, dimension, search=search
    )
    return space


def ensure_vector_indexes(
    driver: Driver, database: str, slot: VectorSlot, dimension: int, *, search: bool
) -> None:
    """A slot's two vector indexes of `dimension`, created if missing and waited for."""
    first = statements(slot.schema_search) if search else ()
    for statement in (*first, *statements(slot.schema)):
        driver.execute_query(statement, {"dimension": dimension}, database_=database)
    driver.execute_query(
        query("admin/await_indexes"), {"timeout_s": INDEX_ONLINE_TIMEOUT_S}, database_=database
    )


def read_space(driver: Driver, database: str) -> EmbeddingSpace | None:
    """The embedding space the database records, None when it records none."""
    records, _, _ = driver.execute_query(
        query("admin/embedding_space"), database_=database, routing_=RoutingControl.READ
    )
    return EmbeddingSpace.from_record(records[0]) if records else None


def record_space(driver: Driver, database: str, space: EmbeddingSpace) -> EmbeddingSpace:
    """Record `space` where none is recorded; the one recorded first wins a race."""
    params = {"slot": space.slot.name, "model": space.model, "dimension": space.dimension}
    records, _, _ = driver.execute_query(
        query("admin/record_embedding_space"), params, database_=database
    )
    return EmbeddingSpace.from_record(records[0])


def vector_index_dimensions(driver: Driver, database: str) -> dict[str, int]:
    """graphmem's vector indexes by name, with the dimension each was built for."""
    records, _, _ = driver.execute_query(
        query("admin/vector_indexes"), database_=database, routing_=RoutingControl.READ
    )
    return {r["name"]: int(r["dimension"]) for r in records if r["dimension"] is not None}


def check_vector_dimensions(
    driver: Driver, database: str, dimension: int, slot: VectorSlot = SLOT_A
) -> None:
    """Refuse when a vector index of `slot` holds vectors of another dimension."""
    names = (slot.fact_index, slot.entity_index)
    for name, existing in vector_index_dimensions(driver, database).items():
        if name in names and existing != dimension:
            raise SchemaMismatchError(
                f"vector index {name!r} in database {database!r} holds {existing}-dimensional "
                f"vectors, but the configured embedder makes {dimension}-dimensional ones. "
                "Either configure the embedder that wrote this data (GRAPHMEM_EMBEDDER_MODEL / "
                "GRAPHMEM_EMBEDDER_PATH), or point graphmem at another database "
                "(GRAPHMEM_NEO4J_DATABASE); vectors of different models cannot share an index."
            )
