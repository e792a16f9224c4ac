// Every relationship among a scope's nodes: typed relations between entities (retired ones
// as WAS), ABOUT (fact -> entity), SUPERSEDES (fact -> fact) and FROM (fact -> episode).
// The edges of `graphmem export` and `graphmem backup`; all scopes when every id is null.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (a:Entity {scope_key: s.key})-[r]->(b:Entity {scope_key: s.key}) RETURN a, r, b
  UNION
  MATCH (a:Fact {scope_key: s.key})-[r:ABOUT|SUPERSEDES|FROM]->(b {scope_key: s.key})
  RETURN a, r, b
}
RETURN a.id AS source, b.id AS target, type(r) AS type, properties(r) AS props
ORDER BY source, type, target
