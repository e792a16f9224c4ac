"""Schema bootstrap: constraints, vector, fulltext and range indexes, applied idempotently."""

from __future__ import annotations

from neo4j import Driver, RoutingControl

from graphmem.errors import SchemaMismatchError
from graphmem.store.cypher import query, statements

INDEX_ONLINE_TIMEOUT_S = 300


def ensure_schema(driver: Driver, database: str, dimension: int, *, search: bool = False) -> None:
    """Create what is missing, refuse a vector index of another dimension, wait until online.

    With ``search`` (a server whose SEARCH clause filters inside the index), the vector
    indexes are first created with their filter properties (cypher/schema_search.cypher);
    schema.cypher's plain ones of the same names then find them and do nothing.
    """
    check_vector_dimensions(driver, database, dimension)
    first = statements("schema_search") if search else ()
    for statement in (*first, *statements("schema")):
        driver.execute_query(statement, {"dimension": dimension}, database_=database)
    driver.execute_query(
        query("admin/await_indexes"), {"timeout_s": INDEX_ONLINE_TIMEOUT_S}, database_=database
    )


def vector_index_dimensions(driver: Driver, database: str) -> dict[str, int]:
    """graphmem's vector indexes by name, with the dimension each was built for."""
    records, _, _ = driver.execute_query(
        query("admin/vector_indexes"), database_=database, routing_=RoutingControl.READ
    )
    return {r["name"]: int(r["dimension"]) for r in records if r["dimension"] is not None}


def check_vector_dimensions(driver: Driver, database: str, dimension: int) -> None:
    for name, existing in vector_index_dimensions(driver, database).items():
        if existing != dimension:
            raise SchemaMismatchError(
                f"vector index {name!r} in database {database!r} holds {existing}-dimensional "
                f"vectors, but the configured embedder makes {dimension}-dimensional ones. "
                "Either configure the embedder that wrote this data (GRAPHMEM_EMBEDDER_MODEL / "
                "GRAPHMEM_EMBEDDER_PATH), or point graphmem at another database "
                "(GRAPHMEM_NEO4J_DATABASE); vectors of different models cannot share an index."
            )
