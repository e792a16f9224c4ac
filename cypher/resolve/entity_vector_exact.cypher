// Entities of one scope whose name embedding is within $threshold (raw cosine) of each
// new entity's, by an exact scan of the scope. vector.similarity.cosine reports
// (1 + cosine) / 2; graphmem's thresholds are raw cosine, hence 2 * s - 1.
// $scope_key, $threshold, $k, $items: [{index, key, embedding}]
UNWIND $items AS item
CALL (item) {
  MATCH (e:Entity {scope_key: $scope_key})
  WHERE e.key <> item.key
  WITH e, 2 * vector.similarity.cosine(e.embedding, item.embedding) - 1 AS score
  WHERE score >= $threshold
  RETURN e, score ORDER BY score DESC LIMIT $k
}
RETURN item.index AS index, e.id AS id, e.key AS key, e.name AS name, e.type AS type, score
