// One search's first read, in one round trip: the scope's size and version (as
// scope_counts), its nearest facts (as fact_scan for a scope of at most $f16_scan_min facts;
// up to $exact_max facts their float16 copies, which the caller scores and re-scores exactly
// with recall/fact_hits; else as fact_index over-fetched: the caller completes a short index
// answer), the entities the query names ($names, as entities_by_key) and the entities
// nearest the query (as entity_scan / entity_index, by the $exact_max rule on the scope's
// entities) and, for a small scope, its whole graph. A guarded branch whose guard fails
// reads nothing; $k = 0 or $entity_k = 0 skip the nearest reads, $graph_facts = 0 the graph.
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
// A small scope's whole graph, when the caller will walk it ($graph_facts > 0; a scope
// scanned here, so every visible fact's similarity came back above) and it is small enough
// to read in less time than the walk's statements take (at most $graph_entities entities,
// and $graph_relations relations by their ends' degrees): its entities, the relations
// between them valid in the read's window (as recall/walk and recall/hop see them) and each
// visible fact's entities (as recall/entity_facts sees them). The caller answers the
// walk's reads from it (store/scope_graph.py) instead of a statement each.
CALL (keys, facts, entities) {
  WITH * WHERE $k > 0 AND 0 < facts <= $graph_facts AND facts <= $f16_scan_min
    AND facts <= $exact_max AND entities <= $graph_entities
  UNWIND keys AS key
  MATCH (e:Entity {scope_key: key})
  WITH e, COUNT { (e)<-[:ABOUT]-() } AS about, COUNT { (e)--() } AS links
  RETURN collect([e.id, e.name, e.type, labels(e), e.mentions, about, links]) AS entity_rows,
         sum(links - about) AS relation_ends
}
WITH *, size(entity_rows) > 0 AND relation_ends <= 2 * $graph_relations AS whole_graph
// Relations and ABOUT links as columns, not a list per row: the graph is garbage once the
// search is answered, and a list per row was most of its objects in the client.
CALL (keys, whole_graph) {
  WITH * WHERE whole_graph
  UNWIND keys AS key
  MATCH (a:Entity {scope_key: key})-[r]->(b:Entity {scope_key: key})
  WHERE ($include_invalidated OR r.invalidated_at IS NULL)
    AND ($as_of IS NULL OR r.valid_from IS NULL OR datetime({datetime: r.valid_from}) <= $as_of)
    AND ($valid_after IS NULL OR r.valid_to IS NULL
         OR datetime({datetime: r.valid_to}) > $valid_after)
  RETURN {sources: collect(a.id), kinds: collect(coalesce(r.relation, type(r))),
          targets: collect(b.id), facts: collect(coalesce(r.fact_id, ''))} AS graph_relations
}
CALL (keys, whole_graph) {
  WITH * WHERE whole_graph
  // graphmem:include recall/parts/scope_facts
  OPTIONAL MATCH (f)-[:ABOUT]->(x:Entity)
  // A fact about no entity: one link to '' (collect() would drop a null).
  RETURN {facts: collect(f.id), entities: collect(coalesce(x.id, ''))} AS graph_about
}
RETURN facts, entities, versions, scanned_facts, scanned_similarities,
  f16_facts, f16_ids, f16_vectors, whole_graph, graph_relations, graph_about,
  CASE WHEN whole_graph THEN entity_rows ELSE [] END AS graph_entities,
  // And when the scope holds no more facts than the caller's pool ($k), every one of them is
  // a candidate: their rows (as recall/fact_rows reads them) come too, and the search needs
  // no other statement.
  COLLECT {
    WITH * WHERE whole_graph AND facts <= $k
    // graphmem:include recall/parts/scope_facts
    WITH f, [(f)-[:ABOUT]->(e:Entity) | e] AS about
    RETURN
    // graphmem:include recall/parts/fact_row
  } AS graph_rows,
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
