// Included: nearest facts from the vector index, then the scope `keys`, visibility and
// caller filters -> f, similarity, best $k. On 5.26 queryNodes filters after its top-k, so
// the caller over-fetches ($fetch_k) and falls back to the scan when fewer than $k survive.
// The index's own score is computed on quantised vectors, so survivors are re-scored
// exactly: raw cosine of the stored vector.
CALL db.index.vector.queryNodes($fact_index, $fetch_k, $embedding)
YIELD node AS f
WHERE f.scope_key IN keys AND f.status IN $statuses
  AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
WITH f, vector.similarity.cosine(f[$vector_property], $embedding) AS similarity
ORDER BY similarity DESC, f.id
LIMIT $k
