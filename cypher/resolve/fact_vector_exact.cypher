// Active facts of one scope within $threshold (raw cosine) of each new fact, by an exact
// scan of the scope; also every fact with the same content hash (a duplicate at any score),
// with the times that decide which of two conflicting facts is current.
// Each stored embedding is read once and compared with every item (a subquery per item
// would read the scope's embeddings once per item).
// $scope_key, $threshold, $k, $items: [{index, content_hash, embedding}]
MATCH (f:Fact {scope_key: $scope_key, status: 'active'})
WITH f, f[$vector_property] AS stored
UNWIND $items AS item
WITH item, f, 2 * vector.similarity.cosine(stored, item.embedding) - 1 AS score
WHERE score >= $threshold OR f.content_hash = item.content_hash
WITH item, f, score ORDER BY score DESC
WITH item, collect({f: f, score: score})[..$k] AS top
UNWIND top AS hit
RETURN item.index AS index, hit.f.id AS id, hit.f.text AS text,
       hit.f.content_hash AS content_hash, hit.score AS score,
       hit.f.valid_from AS valid_from, hit.f.valid_to AS valid_to,
       coalesce(hit.f.observed_at, hit.f.created_at) AS observed_at
