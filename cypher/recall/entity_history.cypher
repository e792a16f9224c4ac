// The timeline of one entity in a scope: every fact about it (any status) and every
// relation touching it, current or retired (a WAS holds its own type in `relation`), with
// validity and invalidation times, oldest first. $key is the entity's key, or one of the
// aliases of the scope's self entity (the user's name): index seeks either way.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
CALL (s) {
  MATCH (e:Entity {scope_key: s.key, key: $key})
  RETURN e
  UNION
  MATCH (e:Entity {scope_key: s.key, key: '__self__'})
  WHERE $key IN coalesce(e.aliases, [])
  RETURN e
}
WITH e ORDER BY e.mentions DESC LIMIT 1
CALL (e) {
  MATCH (f:Fact)-[:ABOUT]->(e)
  WITH f ORDER BY datetime({datetime: coalesce(f.valid_from, f.created_at)}), f.created_at
  RETURN collect(f {.*, embedding: null, embedding_b: null, embedding_f16: null, embedding_b_f16: null}) AS facts
}
CALL (e) {
  MATCH (e)-[r]-(other:Entity)
  WITH r, startNode(r) AS a, endNode(r) AS b
  ORDER BY datetime({datetime: coalesce(r.valid_from, r.created_at)}), r.created_at
  RETURN collect({source: a.name, relation: coalesce(r.relation, type(r)), target: b.name,
                  fact_id: r.fact_id, valid_from: r.valid_from, valid_to: r.valid_to,
                  created_at: r.created_at, invalidated_at: r.invalidated_at}) AS relations
}
RETURN e {.*, embedding: null, embedding_b: null, embedding_f16: null, embedding_b_f16: null} AS entity, facts, relations
