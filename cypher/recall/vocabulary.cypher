// What a query's cue words are matched against: every relation type and entity label in
// the database ($reserved_relations / $reserved_labels, graphmem's own, excepted), and what
// the scope's facts call each relation type: `words`, the last word occurrences write/batch
// kept per (scope, type) ("boss", "manager" for MANAGES). Types and labels come from the
// token store, so a store written before RelationWords existed still matches by name; one
// no entity of the scope has costs nothing, since the walk starts from the scope's entities.
CALL db.relationshipTypes() YIELD relationshipType
WITH relationshipType AS name WHERE NOT name IN $reserved_relations
RETURN 'relation' AS kind, name, [] AS words
UNION ALL
CALL db.labels() YIELD label
WITH label AS name WHERE NOT name IN $reserved_labels
RETURN 'label' AS kind, name, [] AS words
UNION ALL
MATCH (s:Scope)
WHERE ($user_id IS NULL OR s.user_id = $user_id)
  AND ($agent_id IS NULL OR s.agent_id = $agent_id)
  AND ($run_id IS NULL OR s.run_id = $run_id)
MATCH (v:RelationWords {scope_key: s.key})
RETURN 'relation' AS kind, v.type AS name, v.words AS words
