// The last step of an erasure (or reset): the Scope records themselves, which hold the ids.
// $scope_keys: [string]
MATCH (s:Scope)
WHERE s.key IN $scope_keys
DETACH DELETE s
RETURN count(*) AS scopes
