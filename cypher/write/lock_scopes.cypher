// Serialise a delete with the writers of the scopes it touches: the same write lock on each
// Scope node that write/lock_scope takes for an add, held until the transaction ends. So a
// delete never removes an entity an add is linking a fact to, nor an add a link to an
// entity being removed. $scope_keys arrive sorted: two deleters lock in one order.
// $scope_keys: [string]
UNWIND $scope_keys AS key
MATCH (s:Scope {key: key})
SET s.writes = coalesce(s.writes, 0) + 1
RETURN count(s) AS locked
