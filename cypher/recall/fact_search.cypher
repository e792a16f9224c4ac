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
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
WITH collect(s.key) AS scope_keys
MATCH (f:Fact)
  SEARCH f IN (
    VECTOR INDEX graphmem_fact_embedding
    FOR $embedding
    WHERE f.scope_key IN scope_keys AND f.status IN $statuses
    LIMIT $fetch_k
  )
WHERE ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
WITH f, vector.similarity.cosine(f.embedding, $embedding) AS similarity
ORDER BY similarity DESC, f.id
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
