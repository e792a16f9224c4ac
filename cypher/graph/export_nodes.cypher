// Every entity and fact of a scope (facts of any status, so the history travels too),
// without embeddings: the nodes of `graphmem export`.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (e:Entity {scope_key: s.key}) RETURN e AS n
  UNION
  MATCH (f:Fact {scope_key: s.key}) RETURN f AS n
}
RETURN n.id AS id, labels(n) AS labels, n {.*, embedding: null} AS props
ORDER BY id
