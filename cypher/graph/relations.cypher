// A scope's relations between entities, with the fact each rests on. $key (or null) keeps
// the relations touching one entity (its normalised name), $type (or null) one relation
// type; $include_invalidated admits relations a later fact superseded.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (a:Entity {scope_key: s.key})-[r]->(b:Entity {scope_key: s.key})
WHERE ($type IS NULL OR type(r) = $type)
  AND ($key IS NULL OR a.key = $key OR b.key = $key)
  AND ($include_invalidated OR r.invalidated_at IS NULL)
WITH a, r, b ORDER BY a.name, type(r), b.name, r.fact_id
SKIP $offset LIMIT $limit
RETURN a.name AS source, a.type AS source_type, type(r) AS relation,
       b.name AS target, b.type AS target_type, r.fact_id AS fact_id,
       COLLECT { MATCH (f:Fact {id: r.fact_id}) RETURN f.text }[0] AS fact,
       r.valid_from AS valid_from, r.valid_to AS valid_to,
       r.created_at AS created_at, r.invalidated_at AS invalidated_at
