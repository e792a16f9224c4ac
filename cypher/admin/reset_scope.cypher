// Remove everything graphmem stored for the scopes a (partial) scope names: facts,
// entities, episodes, change log, relation vocabularies, and the scope records. Nothing outside them.
// Runs in batches, so it needs an auto-commit transaction (`:auto` in Browser).
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (f:Fact {scope_key: s.key}) RETURN f AS node
  UNION
  MATCH (e:Entity {scope_key: s.key}) RETURN e AS node
  UNION
  MATCH (ep:Episode {scope_key: s.key}) RETURN ep AS node
  UNION
  MATCH (c:Change {scope_key: s.key}) RETURN c AS node
  UNION
  MATCH (v:RelationWords {scope_key: s.key}) RETURN v AS node
  UNION
  RETURN s AS node
}
CALL (node) { DETACH DELETE node } IN TRANSACTIONS OF 5000 ROWS
RETURN count(*) AS deleted
