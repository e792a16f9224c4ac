// Included by statements that record an add's raw messages: the Episode of `row` ({id,
// scope_key, user_id, agent_id, run_id, messages, status, infer}), idempotent on its id.
// Leaves `ep` bound.
MERGE (ep:Episode {id: row.id})
  ON CREATE SET ep.scope_key = row.scope_key, ep.user_id = row.user_id,
                ep.agent_id = row.agent_id, ep.run_id = row.run_id, ep.messages = row.messages,
                ep.status = row.status, ep.infer = row.infer, ep.created_at = datetime()
SET ep.updated_at = datetime()
