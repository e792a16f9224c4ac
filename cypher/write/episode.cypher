// Record the raw messages of one add() before any LLM call, so nothing is lost if
// extraction fails. Idempotent on the episode id. Also registers the scope.
MERGE (s:Scope {key: $scope_key})
  ON CREATE SET s.user_id = $user_id, s.agent_id = $agent_id, s.run_id = $run_id,
                s.created_at = datetime()
MERGE (ep:Episode {id: $id})
  ON CREATE SET ep.scope_key = $scope_key, ep.user_id = $user_id, ep.agent_id = $agent_id,
                ep.run_id = $run_id, ep.messages = $messages, ep.status = $status,
                ep.infer = $infer, ep.created_at = datetime()
SET ep.updated_at = datetime()
RETURN ep.id AS id
