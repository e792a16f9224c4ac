// Every node graphmem keeps for a scope, without embeddings: entities, facts of any status
// (so the history travels too), episodes (the raw messages) and the change log. The nodes
// of `graphmem export` and `graphmem backup`; all scopes when every id is null.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (e:Entity {scope_key: s.key}) RETURN e AS n
  UNION
  MATCH (f:Fact {scope_key: s.key}) RETURN f AS n
  UNION
  MATCH (ep:Episode {scope_key: s.key}) RETURN ep AS n
  UNION
  MATCH (c:Change {scope_key: s.key}) RETURN c AS n
}
RETURN n.id AS id, labels(n) AS labels,
       n {.*, embedding: null, embedding_b: null, embedding_f16: null, embedding_b_f16: null, user_id: s.user_id, agent_id: s.agent_id, run_id: s.run_id}
         AS props
ORDER BY id
