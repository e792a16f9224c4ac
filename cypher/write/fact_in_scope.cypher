// One fact by id, only if it lies in the (possibly partial) scope; null scope ids match any.
MATCH (f:Fact {id: $id})
WHERE ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
RETURN f.id AS id, f.text AS text, f.scope_key AS scope_key, f.status AS status,
       f.user_id AS user_id, f.agent_id AS agent_id, f.run_id AS run_id
