// Scopes with relations and no relation vocabulary: written before graphmem kept one
// (RelationWords, write/batch). `graphmem upgrade` rebuilds theirs (graphmem/vocabulary.py);
// until then recall matches a question's words against the relation types' own names only.
MATCH (s:Scope)
WHERE NOT EXISTS { MATCH (:RelationWords {scope_key: s.key}) }
  AND EXISTS {
    MATCH (:Entity {scope_key: s.key})-[r]->(:Entity)
    WHERE r.fact_id IS NOT NULL
  }
RETURN s.key AS key, s.user_id AS user_id, s.agent_id AS agent_id, s.run_id AS run_id
ORDER BY key
