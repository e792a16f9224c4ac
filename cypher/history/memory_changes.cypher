// The change log of one memory and of every fact linked to it by SUPERSEDES (what it
// replaced and what replaced it), oldest first. Works after a delete: the log outlives facts.
// $id; $user_id, $agent_id, $run_id (null matches any)
OPTIONAL MATCH (f:Fact {id: $id})
OPTIONAL MATCH (f)-[:SUPERSEDES*1..50]-(g:Fact)
WITH [$id] + collect(DISTINCT g.id) AS ids
UNWIND ids AS target
MATCH (c:Change {target_id: target})
MATCH (s:Scope {key: c.scope_key})
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
RETURN c {.*} AS change
ORDER BY c.at, c.seq
