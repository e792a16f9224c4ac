// Included: entities near the query from the vector index, then the scope `keys` ->
// e, score, best $entity_k (over-fetched by the caller, who falls back to the scan when
// fewer than $entity_k survive). Re-scored exactly: the index quantises.
CALL db.index.vector.queryNodes($entity_index, $entity_fetch_k, $embedding)
YIELD node AS e
WHERE e.scope_key IN keys
WITH e, 2 * vector.similarity.cosine(e[$vector_property], $embedding) - 1 AS score
WHERE score >= $min_score
ORDER BY score DESC, e.id
LIMIT $entity_k
