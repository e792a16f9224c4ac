// Delete facts and the relations resting on them; returns the entities they were about so
// the caller can remove those left orphaned. Episodes and the change log stay.
// $ids: [string] (already confined to the scope by the caller)
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})
OPTIONAL MATCH (f)-[:ABOUT]->(e:Entity)
WITH f, collect(DISTINCT e) AS about
CALL (f, about) {
  UNWIND about AS e
  MATCH (e)-[r]-(:Entity)
  WHERE r.fact_id = f.id
  WITH DISTINCT r
  DELETE r
}
DETACH DELETE f
WITH about
UNWIND about AS e
RETURN collect(DISTINCT e.id) AS entity_ids
