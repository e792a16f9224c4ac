// Entities of the scope whose names match words of the query (Lucene query $terms).
CALL db.index.fulltext.queryNodes('graphmem_text', $terms) YIELD node AS e, score
WHERE e:Entity
  AND ($user_id IS NULL OR e.user_id = $user_id)
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-(:Fact) } AS degree
LIMIT $k
