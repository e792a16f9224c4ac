// Candidate facts by id, confined to the scope: properties, raw cosine to the query (given
// in $known_scores where the caller has it), the entities they are about, the
// entity-to-entity relations resting on them (with their validity), and the vector, for
// duplicate checks and diversity. The client computes those cosines: pairwise cosine on
// the server re-reads each vector per pair.
UNWIND $ids AS fact_id
MATCH (f:Fact {id: fact_id})
WHERE ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
WITH f, [(f)-[:ABOUT]->(e:Entity) | e] AS about
// One record, its rows collected: the driver's per-record cost was most of the client
// time of a read of hundreds of rows.
RETURN collect(
// graphmem:include recall/parts/fact_row
) AS rows
