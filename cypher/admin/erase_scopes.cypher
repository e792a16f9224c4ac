// The last step of an erasure (or reset): the scopes' relation vocabularies (RelationWords:
// words of their facts) and the Scope records themselves, which hold the ids.
// $scope_keys: [string]
CALL () {
  MATCH (v:RelationWords)
  WHERE v.scope_key IN $scope_keys
  DELETE v
}
MATCH (s:Scope)
WHERE s.key IN $scope_keys
DETACH DELETE s
RETURN count(*) AS scopes
