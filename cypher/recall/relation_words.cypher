// What the scope's facts call each relation type: `words`, the last word occurrences
// write/batch kept per (scope, type) ("boss", "manager" for MANAGES), each fact's words
// after a '|'. Recall matches a query's cue words against them (graphmem/relations.py).
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (v:RelationWords {scope_key: s.key})
  RETURN v
}
RETURN v.type AS type, v.words AS words
