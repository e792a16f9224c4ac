// Append to the change log (idempotent on id, so a retried transaction logs once).
// $scope_key, $changes: [{id, seq, target_id, op, old, new, actor, reason, episode_id}]
UNWIND $changes AS c
WITH c, $scope_key AS scope_key
// graphmem:include write/parts/change
RETURN count(x) AS logged
