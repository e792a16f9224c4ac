// Candidate facts by id, confined to the scope: properties, raw cosine to the query,
// the entities they are about, the entity-to-entity relations resting on them (with
// their validity), and the vector, for duplicate checks and diversity. The client
// computes those cosines: pairwise cosine on the server re-reads each vector per pair.
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})
WHERE ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
WITH f, [(f)-[:ABOUT]->(e:Entity) | e] AS about
RETURN f {.*, embedding: null, embedding_b: null} AS fact, [(f)-[:FROM]->(ep:Episode) | ep.id] AS episodes,
       [e IN about | {id: e.id, name: e.name}] AS entities,
       // Both ends bound to the fact's own entities first (a pattern through both
       // made the planner expand every fact about b, 13,000 rows for a big tenant's
       // 30 facts), then each relation is found between two known nodes.
       COLLECT {
         UNWIND about AS a
         UNWIND about AS b
         WITH a, b WHERE a <> b
         MATCH (a)-[r]->(b)
         WHERE r.fact_id = f.id
         RETURN {source: a.name, relation: coalesce(r.relation, type(r)), target: b.name,
                 fact_id: r.fact_id,
                 valid_from: r.valid_from, valid_to: r.valid_to}
       } AS relations,
       2 * vector.similarity.cosine(f[$vector_property], $embedding) - 1 AS score,
       f[$vector_property] AS embedding
