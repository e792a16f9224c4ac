// How many entities and active facts one scope holds, counted no further than $cap.
// graphmem:include resolve/parts/entity_count
CALL () {
  MATCH (f:Fact {scope_key: $scope_key, status: 'active'}) WITH f LIMIT $cap
  RETURN count(f) AS facts
}
RETURN entity_count AS entities, facts
