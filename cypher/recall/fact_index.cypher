// Nearest facts from the vector index, then the scope, visibility and caller filters.
// On 5.26 queryNodes filters after its top-k, so the caller over-fetches ($fetch_k) and
// falls back to fact_scan when fewer than $k survive. The index's own score is computed
// on quantised vectors, so survivors are re-scored exactly: raw cosine of the stored vector.
// `about` as in fact_scan.
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/facts_index
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
