// What one scope already holds of an add's names and facts, in one round trip: entities
// with exactly these keys (normalised names), and active facts with these content hashes
// (exact duplicates, whatever a vector index would say), with their times (observed_at
// falls back to created_at for facts stored before it was kept). Index seeks only.
// The self entity's aliases (other keys it is known by) come with it.
// $scope_key, $keys: [string], $items: [{index, content_hash}]
CALL () {
  UNWIND $keys AS key
  MATCH (e:Entity {scope_key: $scope_key, key: key})
  RETURN collect(e {.id, .key, .name, .type, .aliases}) AS entities
}
CALL () {
  UNWIND $items AS item
  MATCH (f:Fact {scope_key: $scope_key, content_hash: item.content_hash})
  WHERE f.status = 'active'
  RETURN collect({index: item.index, id: f.id, text: f.text, content_hash: f.content_hash,
                  score: 1.0, valid_from: f.valid_from, valid_to: f.valid_to,
                  observed_at: coalesce(f.observed_at, f.created_at)}) AS facts
}
RETURN entities, facts
