// Existing entities of one scope with exactly these keys (normalised names).
// $scope_key, $keys: [string]
UNWIND $keys AS key
MATCH (e:Entity {scope_key: $scope_key, key: key})
RETURN e.id AS id, e.key AS key, e.name AS name, e.type AS type
