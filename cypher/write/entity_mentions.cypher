// A new mention of an existing entity that resolution merged it into (a nickname, a fuller
// name): count the mention; the entity keeps its name, type and embedding.
// $scope_key, $keys: [string]
UNWIND $keys AS key
MATCH (e:Entity {scope_key: $scope_key, key: key})
SET e.mentions = coalesce(e.mentions, 0) + 1, e.updated_at = datetime()
RETURN count(e) AS touched
