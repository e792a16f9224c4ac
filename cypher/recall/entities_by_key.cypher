// Entities of the scope the query names: $keys are candidate normalised names built from
// the query's word runs (graphmem.recall.name_keys), looked up exactly on the
// (scope_key, key) constraint's index, so the cost does not grow with the graph (a
// fulltext query over every scope's names did).
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/named_entities
RETURN e.id AS id, e.name AS name, 1.0 AS score, COUNT { (e)<-[:ABOUT]-() } AS degree
