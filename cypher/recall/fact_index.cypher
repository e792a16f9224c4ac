// Nearest facts from the vector index, then the scope, visibility and caller filters.
// On 5.26 queryNodes filters after its top-k, so the caller over-fetches ($fetch_k) and
// falls back to fact_scan when fewer than $k survive. The index's own score is computed
// on quantised vectors, so survivors are re-scored exactly: raw cosine of the stored vector.
// `about` as in fact_scan.
CALL db.index.vector.queryNodes($fact_index, $fetch_k, $embedding)
YIELD node AS f
WHERE f.status IN $statuses
  AND ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
  AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
WITH f, vector.similarity.cosine(f[$vector_property], $embedding) AS similarity
ORDER BY similarity DESC, f.id
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
