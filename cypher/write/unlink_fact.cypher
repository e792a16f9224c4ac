// Detach a fact from the entities it was about before its links are derived again (an
// edit of its text): its current relations and ABOUT links go, retired WAS history stays.
// Returns the entities it was about, so those left orphaned can be removed afterwards.
// $id (the caller confined it to the scope)
MATCH (f:Fact {id: $id})
OPTIONAL MATCH (f)-[about:ABOUT]->(e:Entity)
WITH f, collect(e) AS entities, collect(about) AS links
CALL (f, entities) {
  UNWIND entities AS e
  MATCH (e)-[r]-(:Entity)
  WHERE r.fact_id = f.id AND type(r) <> 'WAS'
  WITH DISTINCT r
  DELETE r
}
FOREACH (link IN links | DELETE link)
RETURN [e IN entities | e.id] AS entity_ids
