// Included by recall statements: the (partial) scope's keys. The Scope nodes are found
// through the index on whichever id the scope has, user first (a `$user_id IS NULL OR
// s.user_id = $user_id` test reads every Scope node of the database), then checked on the
// others. `versions`: each key with its write count (Scope.writes, bumped by every write),
// so recall can reuse what it derived from the scope until it changes.
CALL () {
  MATCH (s:Scope {user_id: $user_id}) RETURN s
  UNION ALL
  MATCH (s:Scope {agent_id: $agent_id}) WHERE $user_id IS NULL RETURN s
  UNION ALL
  MATCH (s:Scope {run_id: $run_id}) WHERE $user_id IS NULL AND $agent_id IS NULL RETURN s
}
WITH s
WHERE ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
WITH collect(s.key) AS keys, collect(s.key + '#' + toString(coalesce(s.writes, 0))) AS versions
