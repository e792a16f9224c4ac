// Included by statements that append to the change log: the Change of row `c` ({id, seq,
// target_id, op, old, new, actor, reason, episode_id}) in the scope `scope_key`, idempotent
// on its id (a retried transaction logs once). Leaves `x` bound.
MERGE (x:Change {id: c.id})
  ON CREATE SET x.scope_key = scope_key, x.seq = c.seq, x.target_id = c.target_id,
                x.op = c.op, x.old = c.old, x.new = c.new, x.at = datetime(),
                x.actor = c.actor, x.reason = c.reason, x.episode_id = c.episode_id
