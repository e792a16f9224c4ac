// Typed relationships between entities, each resting on a fact. The type is dynamic
// and pre-sanitised to ^[A-Z][A-Z0-9_]*$; idempotent on (type, fact_id).
// $relations: [{source_key, type, target_key, fact_id, valid_from, valid_to}]
UNWIND $relations AS row
MATCH (s:Entity {scope_key: $scope_key, key: row.source_key})
MATCH (t:Entity {scope_key: $scope_key, key: row.target_key})
MERGE (s)-[r:$(row.type) {fact_id: row.fact_id}]->(t)
  ON CREATE SET r.episode_id = $episode_id, r.valid_from = row.valid_from,
                r.valid_to = row.valid_to, r.created_at = datetime()
RETURN count(r) AS written
