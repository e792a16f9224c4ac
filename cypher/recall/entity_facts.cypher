// For each entity, its visible facts nearest the query (at most $per_entity; ties by id), under the
// caller's filter: the facts the graph walk brings into the candidate set.
UNWIND $entity_ids AS entity_id
MATCH (e:Entity {id: entity_id})
WHERE ($user_id IS NULL OR e.user_id = $user_id)
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
CALL (e) {
  MATCH (f:Fact)-[:ABOUT]->(e)
  WHERE f.scope_key = e.scope_key AND f.status IN $statuses
    AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
    AND ($valid_after IS NULL OR f.valid_to IS NULL
         OR datetime({datetime: f.valid_to}) > $valid_after)
    AND true /*graphmem:filter*/
  // $similarities: every visible fact's, when recall/candidates scanned the scope (the
  // vectors are not read twice); else {} and each fact's vector is read here.
  WITH f, coalesce($similarities[f.id],
                   vector.similarity.cosine(f[$vector_property], $embedding)) AS similarity
  ORDER BY similarity DESC, f.id
  LIMIT $per_entity
  RETURN f, similarity
}
// One record, its rows collected: the driver's per-record cost was most of the client
// time of a read of hundreds of rows.
RETURN collect({entity_id: e.id, fact_id: f.id, score: 2 * similarity - 1,
                entity_ids: [(f)-[:ABOUT]->(x:Entity) | x.id]}) AS rows
