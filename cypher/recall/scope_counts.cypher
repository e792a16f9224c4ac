// How many facts and entities a (partial) scope holds, each counted no further than $cap:
// the recall path scans a small scope exactly and asks the vector index for a large one.
// `versions`: each scope key with its write count (Scope.writes, bumped by every write), so
// recall can reuse what it derived from the scope (its relation vocabulary) until it changes.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
WITH collect(s.key) AS keys,
     collect(s.key + '#' + toString(coalesce(s.writes, 0))) AS versions
CALL (keys) {
  MATCH (f:Fact) WHERE f.scope_key IN keys AND f.status IN $statuses
  WITH f LIMIT $cap
  RETURN count(f) AS facts
}
CALL (keys) {
  MATCH (e:Entity) WHERE e.scope_key IN keys
  WITH e LIMIT $cap
  RETURN count(e) AS entities
}
RETURN facts, entities, versions
