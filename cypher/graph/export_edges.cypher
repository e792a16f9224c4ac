// Every relationship among a scope's entities and facts: typed relations between entities,
// ABOUT (fact -> entity) and SUPERSEDES (fact -> fact). The edges of `graphmem export`.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (a:Entity {scope_key: s.key})-[r]->(b:Entity {scope_key: s.key}) RETURN a, r, b
  UNION
  MATCH (a:Fact {scope_key: s.key})-[r:ABOUT|SUPERSEDES]->(b {scope_key: s.key})
  RETURN a, r, b
}
RETURN a.id AS source, b.id AS target, type(r) AS type, properties(r) AS props
ORDER BY source, type, target
