// A new fact replaces old ones; nothing is deleted. The old fact becomes superseded and the
// new one points back with SUPERSEDES. For a contradiction (row.close) the old fact and its
// relations also end: valid_to = row.at (when the new state began; the caller never puts
// it before the old fact's start). Relations resting on the old fact are retired either
// way: invalidated_at is set (record time), and each becomes history, a WAS relationship
// holding its own type in `relation` and every other property, so Browser's "connect
// result nodes" cannot draw it as a current LIVES_IN (graphmem.grass styles WAS apart).
// "new" is not always the fact just added: a fact dated before a stored one it
// contradicts is itself replaced by that stored fact (graphmem/validity.py).
// $scope_key, $rows: [{new_id, old_id, event, close, at}]; returns the relations retired
UNWIND $rows AS row
MATCH (new:Fact {id: row.new_id, scope_key: $scope_key})
MATCH (old:Fact {id: row.old_id, scope_key: $scope_key})
WHERE old.status = 'active' AND old <> new
SET old.status = 'superseded', old.superseded_by = new.id, old.updated_at = datetime(),
    old.invalidated_at = datetime(),
    old.valid_to = CASE WHEN row.close THEN coalesce(old.valid_to, row.at) ELSE old.valid_to END
MERGE (new)-[s:SUPERSEDES]->(old)
  ON CREATE SET s.event = row.event, s.created_at = datetime()
WITH DISTINCT old, row
CALL (old, row) {
  MATCH (old)-[:ABOUT]->(:Entity)-[r]-(:Entity)
  WHERE r.fact_id = old.id
  WITH DISTINCT r
  SET r.invalidated_at = coalesce(r.invalidated_at, datetime()),
      r.valid_to = CASE WHEN row.close THEN coalesce(r.valid_to, row.at) ELSE r.valid_to END
  WITH r, startNode(r) AS a, endNode(r) AS b WHERE type(r) <> 'WAS'
  CREATE (a)-[was:WAS]->(b)
  SET was = properties(r), was.relation = type(r)
  WITH r, {source: a.name, relationship: type(r), target: b.name} AS retired
  DELETE r
  RETURN collect(retired) AS retired
}
// What the add reports as mem0's deleted_entities.
RETURN old.id AS id, retired
