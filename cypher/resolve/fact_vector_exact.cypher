// Active facts of one scope within $threshold (raw cosine) of each new fact, by an exact
// scan of the scope; also every fact with the same content hash (a duplicate at any score).
// $scope_key, $threshold, $k, $items: [{index, content_hash, embedding}]
UNWIND $items AS item
CALL (item) {
  MATCH (f:Fact {scope_key: $scope_key, status: 'active'})
  WITH f, 2 * vector.similarity.cosine(f.embedding, item.embedding) - 1 AS score
  WHERE score >= $threshold OR f.content_hash = item.content_hash
  RETURN f, score ORDER BY score DESC LIMIT $k
}
RETURN item.index AS index, f.id AS id, f.text AS text, f.content_hash AS content_hash, score
