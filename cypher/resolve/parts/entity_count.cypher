// Included by statements that need the size of one scope's entities: how many it holds,
// counted no further than $cap. CALL (*) as in resolve/parts/known. Leaves `entity_count`.
CALL (*) {
  MATCH (e:Entity {scope_key: $scope_key}) WITH e LIMIT $cap RETURN count(e) AS entity_count
}
