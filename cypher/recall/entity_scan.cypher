// Exact: the scope's entities whose name embedding is at least $min_score (raw cosine)
// from the query, best first.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (e:Entity {scope_key: s.key})
WITH e, 2 * vector.similarity.cosine(e[$vector_property], $embedding) - 1 AS score
WHERE score >= $min_score
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-() } AS degree
ORDER BY score DESC, id
LIMIT $k
