// The first statement of an add without an LLM, whose reads and writes are one transaction:
// lock the scope (as write/lock_scope does; a new scope is registered), record the add's
// episode (as write/episodes does), then read what the scope holds of the add (as
// resolve/known does) and how many entities it has (as resolve/scope_counts does: it picks
// the exact scan or the index for the entity similarity read). One round trip for what took
// four; the reads import the locked row, so they run under the lock.
// $scope_key, $user_id, $agent_id, $run_id, $episodes: [episode row] (none or one: see
// write/episodes), $keys: [string], $items: [{index, content_hash}], $cap
// graphmem:include write/parts/lock_scope
WITH s
CALL (s) {
  UNWIND $episodes AS row
  // graphmem:include write/parts/episode
  RETURN count(ep) AS episodes
}
// graphmem:include resolve/parts/known
// graphmem:include resolve/parts/entity_count
RETURN entities, facts, entity_count
