// Serialise the writers (and deleters) of one scope: the write lock this takes on the Scope
// node is held until the transaction ends (MERGE: an add without an LLM takes the lock
// before its episode, the first of a new scope included; a delete takes the same lock
// through write/lock_scopes). Returns what changed since an add with an LLM made its
// decisions outside the lock:
// - taken: which of $hashes another writer has meanwhile stored as an active fact of the
//   scope (facts of this same episode excepted: a retry is not a race);
// - gone: which of the entity $keys and stored $fact_ids the decisions rest on (an entity
//   merged into, a fact repeated) a delete has meanwhile removed.
// An add without an LLM decides under the lock: write/open_add takes it (and passes no hashes,
// keys or ids).
// graphmem:include write/parts/lock_scope
WITH s
CALL (s) {
  UNWIND $hashes AS hash
  OPTIONAL MATCH (f:Fact {scope_key: $scope_key, content_hash: hash})
  WHERE f.status = 'active' AND NOT (f)-[:FROM]->(:Episode {id: $episode_id})
  RETURN collect(DISTINCT f.content_hash) AS taken
}
CALL (s) {
  UNWIND $keys AS key
  OPTIONAL MATCH (e:Entity {scope_key: $scope_key, key: key})
  WITH key, e WHERE e IS NULL
  RETURN collect(key) AS gone_keys
}
CALL (s) {
  UNWIND $fact_ids AS fact_id
  OPTIONAL MATCH (f:Fact {id: fact_id, scope_key: $scope_key})
  WITH fact_id, f WHERE f IS NULL
  RETURN collect(fact_id) AS gone_facts
}
RETURN taken, gone_keys + gone_facts AS gone
