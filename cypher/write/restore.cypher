// Restore one scope from an export (graphmem/backup.py): episodes, entities, facts (any
// status), the change log, and the edges among them, with the properties they had; new
// embeddings (exports carry none). Idempotent: nodes MERGE on their ids (entities on
// (scope_key, key)), edges on their endpoints (typed relations also on fact_id), so a
// restore run twice writes one copy. The caller has locked the scope (write/lock_scope,
// which also registers it) and sanitised every label, type and property name.
// $scope_key,
// $episodes:   [{id, props}]
// $entities:   [{id, key, type, props, embedding}]
// $facts:      [{id, props, embedding, f16 (the vector as float16 bytes)}]
// $changes:    [{id, props}]
// $about:      [{fact_id, key}]
// $relations:  [{source_key, type, target_key, fact_id, props}]
// $supersedes: [{new_id, old_id, props}]
// $sources:    [{fact_id, episode_id}]  (FROM)
CALL () {
  UNWIND $episodes AS row
  MERGE (ep:Episode {id: row.id})
  SET ep += row.props
  RETURN count(ep) AS episodes
}
CALL () {
  UNWIND $entities AS row
  MERGE (e:Entity {scope_key: $scope_key, key: row.key})
    ON CREATE SET e.id = row.id, e:$(row.type)
  SET e += row.props
  WITH e, row
  CALL db.create.setNodeVectorProperty(e, $vector_property, row.embedding)
  RETURN count(e) AS entities
}
CALL () {
  UNWIND $facts AS row
  MERGE (f:Fact {id: row.id})
  SET f += row.props
  WITH f, row
  CALL db.create.setNodeVectorProperty(f, $vector_property, row.embedding)
  SET f[$f16_property] = row.f16
  RETURN count(f) AS facts
}
CALL () {
  UNWIND $changes AS row
  MERGE (c:Change {id: row.id})
  SET c += row.props
  RETURN count(c) AS changes
}
CALL () {
  UNWIND $about AS row
  MATCH (f:Fact {id: row.fact_id})
  MATCH (e:Entity {scope_key: $scope_key, key: row.key})
  MERGE (f)-[:ABOUT]->(e)
  RETURN count(*) AS about
}
CALL () {
  UNWIND $relations AS row
  MATCH (a:Entity {scope_key: $scope_key, key: row.source_key})
  MATCH (b:Entity {scope_key: $scope_key, key: row.target_key})
  MERGE (a)-[r:$(row.type) {fact_id: row.fact_id}]->(b)
  SET r += row.props
  RETURN count(r) AS relations
}
CALL () {
  UNWIND $supersedes AS row
  MATCH (new:Fact {id: row.new_id})
  MATCH (old:Fact {id: row.old_id})
  MERGE (new)-[r:SUPERSEDES]->(old)
  SET r += row.props
  RETURN count(r) AS supersedes
}
CALL () {
  UNWIND $sources AS row
  MATCH (f:Fact {id: row.fact_id})
  MATCH (ep:Episode {id: row.episode_id})
  MERGE (f)-[:FROM]->(ep)
  RETURN count(*) AS sources
}
RETURN episodes, entities, facts, changes, about, relations, supersedes, sources
