// Candidate facts by id, confined to the scope: properties, raw cosine to the query,
// the entities they are about, and (when $with_embedding) the vector for duplicate checks.
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})
WHERE ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
RETURN f {.*, embedding: null} AS fact, [(f)-[:FROM]->(ep:Episode) | ep.id] AS episodes,
       [(f)-[:ABOUT]->(e:Entity) | {id: e.id, name: e.name}] AS entities,
       2 * vector.similarity.cosine(f.embedding, $embedding) - 1 AS score,
       CASE WHEN $with_embedding THEN f.embedding END AS embedding
