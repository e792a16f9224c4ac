// Serialise the writers of one scope: the write lock this takes on the Scope node is held
// until the transaction ends (MERGE: an add without an LLM takes the lock before its
// episode, the first of a new scope included). Returns which of $hashes another writer has
// meanwhile stored as an active fact of the scope (facts of this same episode excepted: a
// retry is not a race).
MERGE (s:Scope {key: $scope_key})
  ON CREATE SET s.user_id = $user_id, s.agent_id = $agent_id, s.run_id = $run_id,
                s.created_at = datetime()
SET s.writes = coalesce(s.writes, 0) + 1
WITH s
UNWIND $hashes AS hash
OPTIONAL MATCH (f:Fact {scope_key: $scope_key, content_hash: hash})
WHERE f.status = 'active' AND NOT (f)-[:FROM]->(:Episode {id: $episode_id})
RETURN collect(DISTINCT f.content_hash) AS taken
