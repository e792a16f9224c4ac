// Entities near the query through the SEARCH clause, the scope filtered inside the vector
// index (Neo4j 2026.06+, index from schema_search.cypher). Replaces entity_index where the
// server and index allow it: the index walks only the scope's entities (its scope keys,
// resolved from the Scope nodes as in entity_scan) instead of filtering after a global
// top-k. The caller over-fetches ($fetch_k) and falls back to entity_scan when fewer than
// $k reach $min_score; survivors are re-scored exactly (the index quantises). Raw cosine.
CYPHER 25
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
WITH collect(s.key) AS scope_keys
MATCH (e:Entity)
  SEARCH e IN (
    VECTOR INDEX graphmem_entity_embedding
    FOR $embedding
    WHERE e.scope_key IN scope_keys
    LIMIT $fetch_k
  )
WITH e, 2 * vector.similarity.cosine(e.embedding, $embedding) - 1 AS score
WHERE score >= $min_score
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-() } AS degree
ORDER BY score DESC, id
LIMIT $k
