// A scope's entities, most mentioned first, with how many current relations (retired ones
// are WAS) and active facts each has. $type (or null) keeps one entity type; paged by
// $offset / $limit.
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (e:Entity {scope_key: s.key})
WHERE $type IS NULL OR e.type = $type
WITH e ORDER BY e.mentions DESC, e.name, e.id
SKIP $offset LIMIT $limit
RETURN e.id AS id, e.name AS name, e.type AS type, e.mentions AS mentions,
       e.user_id AS user_id, e.agent_id AS agent_id, e.run_id AS run_id,
       COUNT { (e)-[r]-(:Entity) WHERE type(r) <> 'WAS' AND r.invalidated_at IS NULL } AS relations,
       COUNT { (f:Fact)-[:ABOUT]->(e) WHERE f.status = 'active' } AS facts,
       e.created_at AS created_at, e.updated_at AS updated_at
