// Included: exact, the entities of the scope `keys` whose name embedding is at least
// $min_score (raw cosine) from the query -> e, score, best $entity_k.
UNWIND keys AS key
MATCH (e:Entity {scope_key: key})
WITH e, 2 * vector.similarity.cosine(e[$vector_property], $embedding) - 1 AS score
WHERE score >= $min_score
ORDER BY score DESC, e.id
LIMIT $entity_k
