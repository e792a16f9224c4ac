// Active facts behind the current relations a new relation may replace: same source entity,
// same relation type, another target (LIVES_IN Berlin when LIVES_IN Amsterdam arrives),
// however dissimilar the two facts' texts are. Scores are raw cosine between the facts.
// $scope_key, $items: [{index, source_key, type, target_key, embedding}]
UNWIND $items AS item
MATCH (s:Entity {scope_key: $scope_key, key: item.source_key})-[r]->(t:Entity)
WHERE type(r) = item.type AND t.key <> item.target_key AND r.invalidated_at IS NULL
MATCH (f:Fact {id: r.fact_id, scope_key: $scope_key, status: 'active'})
RETURN DISTINCT item.index AS index, f.id AS id, f.text AS text, f.content_hash AS content_hash,
       2 * vector.similarity.cosine(f[$vector_property], item.embedding) - 1 AS score,
       f.valid_from AS valid_from, f.valid_to AS valid_to,
       coalesce(f.observed_at, f.created_at) AS observed_at
