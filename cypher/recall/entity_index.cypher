// Entities near the query from the vector index, then the scope (over-fetched by the
// caller, who falls back to entity_scan when fewer than $k survive).
CALL db.index.vector.queryNodes($entity_index, $fetch_k, $embedding)
YIELD node AS e
// re-scored exactly: the index's score is computed on quantised vectors
WITH e, 2 * vector.similarity.cosine(e[$vector_property], $embedding) - 1 AS score
WHERE score >= $min_score
  AND ($user_id IS NULL OR e.user_id = $user_id)
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-() } AS degree
ORDER BY score DESC, id
LIMIT $k
