// How many entities and active facts one scope holds, counted no further than $cap.
CALL () {
  MATCH (e:Entity {scope_key: $scope_key}) WITH e LIMIT $cap RETURN count(e) AS entities
}
CALL () {
  MATCH (f:Fact {scope_key: $scope_key, status: 'active'}) WITH f LIMIT $cap
  RETURN count(f) AS facts
}
RETURN entities, facts
