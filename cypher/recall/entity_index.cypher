// Entities near the query from the vector index, then the scope (over-fetched by the
// caller, who falls back to entity_scan when fewer than $k survive).
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/entities_index
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-() } AS degree
