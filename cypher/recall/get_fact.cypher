// One fact by id (any status but deleted); the scope ids, when given, must match.
MATCH (f:Fact {id: $id})
WHERE f.status <> 'deleted'
  AND ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
RETURN f {.*, embedding: null, embedding_b: null, embedding_f16: null, embedding_b_f16: null} AS fact, [(f)-[:ABOUT]->(e:Entity) | e.name] AS entities
