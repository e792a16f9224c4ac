// A scope's facts, newest first, under the caller's filter; paged by $offset / $limit.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (f:Fact)
WHERE f.scope_key = s.key AND f.status IN $statuses
  AND true /*graphmem:filter*/
WITH f ORDER BY f.created_at DESC, f.id
SKIP $offset LIMIT $limit
RETURN f {.*, embedding: null, embedding_b: null, embedding_f16: null, embedding_b_f16: null} AS fact, [(f)-[:ABOUT]->(e:Entity) | e.name] AS entities
