// Candidate facts by id, confined to the scope: raw cosine to the query and the ids of
// the entities each is about with their fact counts (what scoring needs; full rows come
// later for the winners).
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})
WHERE ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
// One record, its rows collected: the driver's per-record cost was most of the client
// time of a read of hundreds of rows.
RETURN collect({id: f.id,
                score: 2 * vector.similarity.cosine(f[$vector_property], $embedding) - 1,
                entity_ids: [(f)-[:ABOUT]->(e:Entity) | e.id],
                degrees: [(f)-[:ABOUT]->(e:Entity) | COUNT { (e)<-[:ABOUT]-() }]}) AS rows
