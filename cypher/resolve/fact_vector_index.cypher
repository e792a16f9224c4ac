// Like fact_vector_exact, through the vector index for large scopes; see
// entity_vector_index for why each item reports the lowest score it fetched.
UNWIND $items AS item
CALL (item) {
  CALL db.index.vector.queryNodes($fact_index, $fetch_k, item.embedding)
  YIELD node, score
  RETURN collect({node: node, score: 2 * score - 1}) AS fetched
}
WITH item, fetched,
     reduce(low = 1.0, h IN fetched | CASE WHEN h.score < low THEN h.score ELSE low END) AS lowest
WITH item, fetched, lowest,
     [h IN fetched WHERE h.node.scope_key = $scope_key AND h.node.status = 'active'
                         AND (h.score >= $threshold
                              OR h.node.content_hash = item.content_hash)][..$k] AS hits
RETURN item.index AS index, size(fetched) AS fetched, lowest,
       [h IN hits | {id: h.node.id, text: h.node.text, content_hash: h.node.content_hash,
                     score: h.score, valid_from: h.node.valid_from, valid_to: h.node.valid_to,
                     observed_at: coalesce(h.node.observed_at, h.node.created_at)}] AS hits
