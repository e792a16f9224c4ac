// One batch of an erasure (or reset) of the scopes $scope_keys: at most $batch of each kind,
// counted as they go. Relations between entities first (counted once each; edges never
// cross scopes), then facts of any status, entities, episodes with their raw messages, and
// the change log (whose entries keep old and new texts). The caller holds the scopes' lock
// (write/lock_scopes) and repeats until a batch removes nothing.
// $scope_keys: [string], $batch: int
CALL () {
  MATCH (n:Entity)-[r]->(:Entity)
  WHERE n.scope_key IN $scope_keys
  WITH r LIMIT $batch
  DELETE r
  RETURN count(r) AS relations
}
CALL () {
  MATCH (n:Fact)
  WHERE n.scope_key IN $scope_keys
  WITH n, n.status AS status LIMIT $batch
  DETACH DELETE n
  RETURN count(status) AS facts,
         count(CASE WHEN status = 'superseded' THEN 1 END) AS superseded_facts
}
CALL () {
  MATCH (n:Entity)
  WHERE n.scope_key IN $scope_keys
  WITH n LIMIT $batch
  DETACH DELETE n
  RETURN count(*) AS entities
}
CALL () {
  MATCH (n:Episode)
  WHERE n.scope_key IN $scope_keys
  WITH n LIMIT $batch
  DETACH DELETE n
  RETURN count(*) AS episodes
}
CALL () {
  MATCH (n:Change)
  WHERE n.scope_key IN $scope_keys
  WITH n LIMIT $batch
  DETACH DELETE n
  RETURN count(*) AS changes
}
RETURN relations, facts, superseded_facts, entities, episodes, changes
