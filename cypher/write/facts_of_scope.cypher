// Ids and texts of every fact in the scopes a (partial) scope names.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (f:Fact {scope_key: s.key})
RETURN f.id AS id, f.text AS text, f.scope_key AS scope_key
