// Exact nearest facts of a scope: a scan of its facts (found through the scope-key index),
// under the caller's filter. Used for small scopes and when an index over-fetch comes back
// short, so a scope's top-k always equals the brute-force top-k.
// $statuses: visible statuses; $as_of: facts valid at that instant (valid_from <= as_of);
// $valid_after: facts whose valid_to is later (null: no check). Scores are raw cosine;
// `about` lists the hit's entities as [id, how many facts are about it] (for the walk);
// ABOUT only leaves facts, so the count needs no label and is read from the degree store.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (f:Fact)
WHERE f.scope_key = s.key AND f.status IN $statuses
  AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
WITH f, vector.similarity.cosine(f[$vector_property], $embedding) AS similarity
ORDER BY similarity DESC, f.id
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
