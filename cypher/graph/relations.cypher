// A scope's relations between entities, with the fact each rests on. $key (or null) keeps
// the relations touching one entity (its key, or an alias of the scope's self entity),
// $type (or null) one relation type; current ones only unless $include_invalidated admits
// the retired (a WAS holds its own type in `relation`) and those whose validity is over.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (a:Entity {scope_key: s.key})-[r]->(b:Entity {scope_key: s.key})
WITH a, r, b, coalesce(r.relation, type(r)) AS kind
WHERE ($type IS NULL OR kind = $type)
  AND ($key IS NULL OR $key IN [a.key, b.key] + coalesce(a.aliases, []) + coalesce(b.aliases, []))
  AND ($include_invalidated
       OR (type(r) <> 'WAS' AND r.invalidated_at IS NULL
           AND (r.valid_to IS NULL OR datetime({datetime: r.valid_to}) > datetime())))
WITH a, r, b, kind ORDER BY a.name, kind, b.name, r.fact_id
SKIP $offset LIMIT $limit
RETURN a.name AS source, a.type AS source_type, kind AS relation,
       b.name AS target, b.type AS target_type, r.fact_id AS fact_id,
       COLLECT { MATCH (f:Fact {id: r.fact_id}) RETURN f.text }[0] AS fact,
       r.valid_from AS valid_from, r.valid_to AS valid_to,
       r.created_at AS created_at, r.invalidated_at AS invalidated_at
