// Included: exact nearest facts of the scope `keys`, a scan of its visible facts ->
// f, similarity (raw cosine), best first (the including statement takes the best $k).
// graphmem:include recall/parts/scope_facts
WITH f, vector.similarity.cosine(f[$vector_property], $embedding) AS similarity
ORDER BY similarity DESC, f.id
