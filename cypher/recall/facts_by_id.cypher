// Facts by id with the names of the entities they are about, confined to the scope.
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})
WHERE ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
OPTIONAL MATCH (f)-[:ABOUT]->(e:Entity)
WITH f, collect(e.name) AS entities
RETURN f {.*, embedding: null} AS fact, entities
