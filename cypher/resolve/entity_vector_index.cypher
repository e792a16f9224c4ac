// Like entity_vector_exact, through the vector index for large scopes. The index filters
// after its top-$fetch_k, so each item also reports the lowest raw cosine it fetched: when
// all $fetch_k came back at or above $threshold, more may lie beyond and the caller scans.
UNWIND $items AS item
CALL (item) {
  CALL db.index.vector.queryNodes($entity_index, $fetch_k, item.embedding)
  YIELD node, score
  RETURN collect({node: node, score: 2 * score - 1}) AS fetched
}
WITH item, fetched,
     reduce(low = 1.0, h IN fetched | CASE WHEN h.score < low THEN h.score ELSE low END) AS lowest
WITH item, fetched, lowest,
     [h IN fetched WHERE h.node.scope_key = $scope_key AND h.node.key <> item.key
                         AND h.score >= $threshold][..$k] AS hits
RETURN item.index AS index, size(fetched) AS fetched, lowest,
       [h IN hits | {id: h.node.id, key: h.node.key, name: h.node.name, type: h.node.type,
                     score: h.score}] AS hits
