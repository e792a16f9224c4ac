// Append to the change log (idempotent on id, so a retried transaction logs once).
// $scope_key, $changes: [{id, seq, target_id, op, old, new, actor, reason, episode_id}]
UNWIND $changes AS c
MERGE (x:Change {id: c.id})
  ON CREATE SET x.scope_key = $scope_key, x.seq = c.seq, x.target_id = c.target_id,
                x.op = c.op, x.old = c.old, x.new = c.new, x.at = datetime(),
                x.actor = c.actor, x.reason = c.reason, x.episode_id = c.episode_id
RETURN count(x) AS logged
