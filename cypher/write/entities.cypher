// Upsert entities by (scope_key, key); the uniqueness constraint makes concurrent
// writers converge on one node. The type label is dynamic, pre-sanitised, and set
// when the node is created: a later mention with another type does not relabel it.
// $entities: [{id, key, name, type, embedding}]
UNWIND $entities AS row
MERGE (e:Entity {scope_key: $scope_key, key: row.key})
  ON CREATE SET e.id = row.id, e.name = row.name, e.type = row.type,
                e.user_id = $user_id, e.agent_id = $agent_id, e.run_id = $run_id,
                e.created_at = datetime(), e.mentions = 0, e:$(row.type)
SET e.mentions = e.mentions + 1, e.updated_at = datetime()
WITH e, row
CALL db.create.setNodeVectorProperty(e, 'embedding', row.embedding)
RETURN count(e) AS written
