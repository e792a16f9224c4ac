// Entities of one scope whose name embedding is within $threshold (raw cosine) of each
// new entity's, by an exact scan of the scope. vector.similarity.cosine reports
// (1 + cosine) / 2; graphmem's thresholds are raw cosine, hence 2 * s - 1. Each stored
// embedding is read once and compared with every item.
// $scope_key, $threshold, $k, $items: [{index, key, embedding}]
MATCH (e:Entity {scope_key: $scope_key})
WITH e, e[$vector_property] AS stored
UNWIND $items AS item
WITH item, e, 2 * vector.similarity.cosine(stored, item.embedding) - 1 AS score
WHERE score >= $threshold AND e.key <> item.key
WITH item, e, score ORDER BY score DESC
WITH item, collect({e: e, score: score})[..$k] AS top
UNWIND top AS hit
RETURN item.index AS index, hit.e.id AS id, hit.e.key AS key, hit.e.name AS name,
       hit.e.type AS type, hit.score AS score
