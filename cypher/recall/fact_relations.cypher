// The entity-to-entity relations resting on the given facts, with their validity.
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})-[:ABOUT]->(a:Entity)-[r]->(b:Entity)
WHERE r.fact_id = f.id
  AND ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
RETURN DISTINCT a.name AS source, type(r) AS relation, b.name AS target, r.fact_id AS fact_id,
       r.valid_from AS valid_from, r.valid_to AS valid_to
