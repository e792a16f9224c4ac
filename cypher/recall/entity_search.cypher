// Entities near the query through the SEARCH clause, the scope filtered inside the vector
// index (Neo4j 2026.06+, index from schema_search.cypher). Replaces entity_index where the
// server and index allow it: the index walks only the scope's entities (its scope keys,
// resolved from the Scope nodes as in entity_scan) instead of filtering after a global
// top-k. The caller over-fetches ($fetch_k) and falls back to entity_scan when fewer than
// $k reach $min_score; survivors are re-scored exactly (the index quantises). Raw cosine.
CYPHER 25
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/entities_search
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-() } AS degree
