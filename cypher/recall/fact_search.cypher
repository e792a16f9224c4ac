// Nearest facts through the SEARCH clause, the scope filtered inside the vector index
// (Neo4j 2026.06+, index from schema_search.cypher). Replaces fact_index where the server
// and index allow it: queryNodes filters after its top-k, so a small tenant among large ones
// could get nothing back and fall to the scan; here the index walks only the scope's facts.
// SEARCH's WHERE takes only equality/range/IN on the index's filter properties, so it holds
// the scope (its scope keys, resolved from the Scope nodes as in fact_scan) and the visible
// statuses; validity and the caller's filter apply after it. The caller still over-fetches
// ($fetch_k), re-scores exactly (the index quantises) and falls back to fact_scan when fewer
// than $k survive, so the result equals the brute-force top-k. Scores are raw cosine;
// `about` as in fact_scan.
CYPHER 25
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/facts_search
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
