// The float16 copies (store/vectors.py) of the visible facts about the given entities, each
// fact once, for a scope recall/candidates did not scan: the client scores them and passes
// the similarities to recall/entity_facts, which then reads no vector. On 5.26 a byte array
// comes back as stored, where a float list read and scored on the server costs ~15 us a
// fact (the budget is up to 1,000 facts a search; bench/README.md section 7). Facts without
// a copy (written before graphmem kept one) are left out: entity_facts scores them itself.
// The caller's filter is entity_facts' to apply: a similarity here selects nothing.
UNWIND $entity_ids AS entity_id
MATCH (e:Entity {id: entity_id})
WHERE ($user_id IS NULL OR e.user_id = $user_id)
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
MATCH (f:Fact)-[:ABOUT]->(e)
WHERE f.scope_key = e.scope_key AND f.status IN $statuses AND f[$f16_property] IS NOT NULL
WITH DISTINCT f
RETURN collect(f.id) AS ids, collect(f[$f16_property]) AS vectors
