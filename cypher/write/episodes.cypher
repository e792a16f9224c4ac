// Record the raw messages of adds (one, or many for a bulk load), each with its scope.
// An add that calls an LLM writes its episode before the call, so nothing is lost if
// extraction fails; an add without one writes it in its own write transaction. Idempotent
// on the episode id. Also registers the scopes, and counts a write on each (Scope.writes:
// recall reuses what it derived from a scope until the count moves).
// $episodes: [{id, scope_key, user_id, agent_id, run_id, messages, status, infer}]
UNWIND $episodes AS row
MERGE (s:Scope {key: row.scope_key})
  ON CREATE SET s.user_id = row.user_id, s.agent_id = row.agent_id, s.run_id = row.run_id,
                s.created_at = datetime()
SET s.writes = coalesce(s.writes, 0) + 1
// graphmem:include write/parts/episode
RETURN count(ep) AS written
