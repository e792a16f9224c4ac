// A duplicate fact (resolution NONE): nothing new is written; the existing fact counts the
// mention, and the episode that repeated it is linked as further provenance.
// $scope_key, $episode_id, $ids: [string]
MATCH (ep:Episode {id: $episode_id})
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id, scope_key: $scope_key})
SET f.mentions = coalesce(f.mentions, 0) + 1, f.updated_at = datetime()
MERGE (f)-[:FROM]->(ep)
RETURN count(f) AS touched
