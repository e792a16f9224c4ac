// Included after scope_keys: how many visible facts and entities the scope holds, each
// counted no further than $cap (recall scans a small scope exactly and asks the vector
// index for a large one).
CALL (keys) {
  MATCH (f:Fact) WHERE f.scope_key IN keys AND f.status IN $statuses
  WITH f LIMIT $cap
  RETURN count(f) AS facts
}
CALL (keys) {
  MATCH (e:Entity) WHERE e.scope_key IN keys
  WITH e LIMIT $cap
  RETURN count(e) AS entities
}
