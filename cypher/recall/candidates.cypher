// One search's first read, in one round trip: the scope's size and version (as
// scope_counts), its nearest facts (as fact_scan for a scope of at most $f16_scan_min facts;
// up to $exact_max facts their float16 copies, which the caller scores and re-scores exactly
// with recall/fact_hits; else as fact_index over-fetched: the caller completes a short index
// answer), the entities the query names ($names, as entities_by_key) and the entities
// nearest the query (as entity_scan / entity_index, by the $exact_max rule on the scope's
// entities). A guarded branch
// whose guard fails reads nothing; $k = 0 or $entity_k = 0 skip the nearest reads.
// RecallReads.candidates swaps the index parts for the SEARCH parts where the server and
// the indexes have them.
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/scope_sizes
// A scanned scope's similarities to the query, every visible fact's, come back too
// (`scanned_similarities`, fact id -> raw similarity; the caller computes them from the
// float16 copies): the reached entities' facts are then ranked from them
// (recall/entity_facts) instead of reading their vectors again.
CALL (keys, facts) {
  WITH * WHERE $k > 0 AND facts <= $exact_max AND facts <= $f16_scan_min
  // graphmem:include recall/parts/facts_scan
  WITH collect({f: f, similarity: similarity}) AS ranked
  CALL (ranked) {
    UNWIND ranked[..$k] AS hit
    WITH hit.f AS f, hit.similarity AS similarity
    RETURN collect({id: f.id, score: 2 * similarity - 1,
                    about: [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]]})
           AS scanned_facts
  }
  RETURN scanned_facts, [hit IN ranked | [hit.f.id, hit.similarity]] AS scanned_similarities
}
CALL (keys, facts) {
  WITH * WHERE $k > 0 AND $f16_scan_min < facts <= $exact_max
  // graphmem:include recall/parts/facts_f16
}
RETURN facts, entities, versions, scanned_facts, scanned_similarities,
  f16_facts, f16_ids, f16_vectors,
  COLLECT {
    WITH * WHERE $k > 0 AND facts > $exact_max
    // graphmem:include recall/parts/facts_index
    RETURN {id: f.id, score: 2 * similarity - 1,
            about: [(f)-[:ABOUT]->(e:Entity) | [e.id, COUNT { (e)<-[:ABOUT]-() }]]}
  } AS indexed_facts,
  COLLECT {
    // graphmem:include recall/parts/named_entities
    RETURN {id: e.id, name: e.name, score: 1.0, degree: COUNT { (e)<-[:ABOUT]-() }}
  } AS named,
  COLLECT {
    WITH * WHERE $entity_k > 0 AND entities <= $exact_max
    // graphmem:include recall/parts/entities_scan
    RETURN {id: e.id, name: e.name, score: score, degree: COUNT { (e)<-[:ABOUT]-() }}
  } AS scanned_entities,
  COLLECT {
    WITH * WHERE $entity_k > 0 AND entities > $exact_max
    // graphmem:include recall/parts/entities_index
    RETURN {id: e.id, name: e.name, score: score, degree: COUNT { (e)<-[:ABOUT]-() }}
  } AS indexed_entities
