// Entities of the scope the query names: $keys are candidate normalised names built from
// the query's word runs (graphmem.recall.name_keys), looked up exactly on the
// (scope_key, key) constraint's index, so the cost does not grow with the graph (a
// fulltext query over every scope's names did).
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
UNWIND $keys AS key
MATCH (e:Entity {scope_key: s.key, key: key})
RETURN e.id AS id, e.name AS name, 1.0 AS score, COUNT { (e)<-[:ABOUT]-() } AS degree
