// The keys of every scope a (partial) scope names, e.g. all of one user's agents and runs.
// $user_id, $agent_id, $run_id (null: any value)
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
RETURN s.key AS key
ORDER BY key
