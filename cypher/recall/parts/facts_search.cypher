// Included (CYPHER 25 statements only): nearest facts through the SEARCH clause, the scope
// `keys` filtered inside the vector index (Neo4j 2026.06+, index from
// schema_search.cypher) -> f, similarity, best $k. SEARCH's WHERE takes only
// equality/range/IN on the index's filter properties, so it holds the scope and the visible
// statuses; validity and the caller's filter apply after it. The caller still over-fetches
// ($fetch_k), re-scores exactly (the index quantises) and falls back to the scan when fewer
// than $k survive. SEARCH names slot A's index: it is used only while slot A is active.
MATCH (f:Fact)
  SEARCH f IN (
    VECTOR INDEX graphmem_fact_embedding
    FOR $embedding
    WHERE f.scope_key IN keys AND f.status IN $statuses
    LIMIT $fetch_k
  )
WHERE ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
WITH f, vector.similarity.cosine(f.embedding, $embedding) AS similarity
ORDER BY similarity DESC, f.id
LIMIT $k
