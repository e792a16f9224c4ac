// Included (CYPHER 25 statements only): entities near the query through the SEARCH clause,
// the scope `keys` filtered inside the vector index (2026.06+) -> e, score, best $entity_k.
// The caller over-fetches ($entity_fetch_k) and falls back to the scan when fewer than $entity_k
// reach $min_score; survivors are re-scored exactly (the index quantises).
MATCH (e:Entity)
  SEARCH e IN (
    VECTOR INDEX graphmem_entity_embedding
    FOR $embedding
    WHERE e.scope_key IN keys
    LIMIT $entity_fetch_k
  )
WITH e, 2 * vector.similarity.cosine(e.embedding, $embedding) - 1 AS score
WHERE score >= $min_score
ORDER BY score DESC, e.id
LIMIT $entity_k
