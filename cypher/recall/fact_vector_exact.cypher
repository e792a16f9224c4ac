// Exact nearest facts of one scope: a scan of the scope's facts (index-backed through
// the scope keys), used when the scope is small or the index over-fetch came back short.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (f:Fact {scope_key: s.key, status: 'active'})
WITH f, vector.similarity.cosine(f.embedding, $embedding) AS similarity
ORDER BY similarity DESC
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score
