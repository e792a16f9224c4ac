// Facts a float16 shortlist (recall/fact_scan_f16) kept, scored from their stored vectors
// and ranked as recall/fact_scan ranks (raw cosine, then id), best $k, with fact_scan's
// columns: `about` lists the hit's entities as [id, how many facts are about it].
// $ids come from the same read transaction's scan of the caller's scope.
UNWIND $ids AS id
MATCH (f:Fact {id: id})
WITH f, vector.similarity.cosine(f[$vector_property], $embedding) AS similarity
ORDER BY similarity DESC, f.id
LIMIT $k
RETURN f.id AS id, 2 * similarity - 1 AS score,
       [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]] AS about
