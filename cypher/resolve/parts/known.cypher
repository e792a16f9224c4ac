// Included by statements that read what one scope already holds of an add's names and
// facts: entities with exactly these keys (normalised names; the self entity's aliases, the
// other keys it is known by, come with it; `embedded`: whether it has a vector in the active
// slot, as an add sends the vectors of the others only), and active facts with these
// content hashes (exact duplicates, whatever a vector index would say), with their times
// (observed_at falls back to created_at for facts stored before it was kept). Index seeks
// only.
// CALL (*): in a write statement that locked the scope first, the reads import its row and
// so run after the lock. Leaves `entities` and `facts` bound.
// $scope_key, $keys: [string], $items: [{index, content_hash}]
CALL (*) {
  UNWIND $keys AS key
  MATCH (e:Entity {scope_key: $scope_key, key: key})
  RETURN collect(e {.id, .key, .name, .type, .aliases,
                    embedded: e[$vector_property] IS NOT NULL}) AS entities
}
CALL (*) {
  UNWIND $items AS item
  MATCH (f:Fact {scope_key: $scope_key, content_hash: item.content_hash})
  WHERE f.status = 'active'
  RETURN collect({index: item.index, id: f.id, text: f.text, content_hash: f.content_hash,
                  score: 1.0, valid_from: f.valid_from, valid_to: f.valid_to,
                  observed_at: coalesce(f.observed_at, f.created_at)}) AS facts
}
