// How many active facts a scope holds, counted no further than $cap.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (f:Fact {scope_key: s.key, status: 'active'})
  RETURN f LIMIT $cap
}
WITH f LIMIT $cap
RETURN count(f) AS facts
