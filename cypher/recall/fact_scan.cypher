// Exact nearest facts of a scope: a scan of its facts (found through the scope-key index),
// under the caller's filter. Used for small scopes and when an index over-fetch comes back
// short, so a scope's top-k always equals the brute-force top-k.
// $statuses: visible statuses; $as_of: facts valid at that instant (valid_from <= as_of);
// $valid_after: facts whose valid_to is later (null: no check). Scores are raw cosine;
// `about` lists the hit's entities as [id, how many facts are about it] (for the walk);
// ABOUT only leaves facts, so the count needs no label and is read from the degree store.
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/facts_scan
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
