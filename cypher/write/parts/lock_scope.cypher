// Included by write statements that serialise the writers of one scope: MERGE its Scope node
// (registering a new scope with its ids) and count a write on it (Scope.writes). The write
// lock this takes is held until the transaction ends. Leaves `s` bound.
// $scope_key, $user_id, $agent_id, $run_id
MERGE (s:Scope {key: $scope_key})
  ON CREATE SET s.user_id = $user_id, s.agent_id = $agent_id, s.run_id = $run_id,
                s.created_at = datetime()
SET s.writes = coalesce(s.writes, 0) + 1
