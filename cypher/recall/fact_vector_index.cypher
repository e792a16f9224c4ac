// Nearest facts from the vector index, then the scope filter. On 5.26 the filter runs
// after the index's top-k, so the caller over-fetches ($fetch_k) and falls back to
// fact_vector_exact when fewer than $k survive. The index quantises vectors, so the
// survivors are re-scored exactly from the stored embeddings: raw cosine, as the scan.
CALL db.index.vector.queryNodes('graphmem_fact_embedding', $fetch_k, $embedding)
YIELD node AS f
WHERE f.status = 'active'
  AND ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
WITH f, vector.similarity.cosine(f.embedding, $embedding) AS similarity
ORDER BY similarity DESC
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score
