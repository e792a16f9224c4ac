// One hop of the relational walk: the relations of the frontier entities ($node_ids) that
// the query may ask for (a type in $types, or an entity at the far end labelled one of
// $labels: graphmem.paths decides which from the query's cue words) and that are valid in
// the read's window, each with the fact it rests on, which must be visible (status,
// validity, the caller's filter): an edge is walked only on evidence the caller may see.
// At most $per_node relations per entity, the best-matching types first ($type_weights),
// then those whose fact is nearest the query (ties by fact, entity and type: as
// store/scope_graph.py ranks a small scope's). `outgoing`: the frontier entity is the
// relation's start node. A retired relation (type WAS, its own type in `relation`) is seen
// by its own type, and walked only when the window admits history ($include_invalidated).
UNWIND $node_ids AS node_id
MATCH (a:Entity {id: node_id})
WHERE ($user_id IS NULL OR a.user_id = $user_id)
  AND ($agent_id IS NULL OR a.agent_id = $agent_id)
  AND ($run_id IS NULL OR a.run_id = $run_id)
CALL (a) {
  MATCH (a)-[r]-(b:Entity)
  WITH a, r, b, coalesce(r.relation, type(r)) AS kind
  WHERE b.scope_key = a.scope_key
    AND (kind IN $types OR any(label IN labels(b) WHERE label IN $labels))
    AND ($include_invalidated OR r.invalidated_at IS NULL)
    AND ($as_of IS NULL OR r.valid_from IS NULL OR datetime({datetime: r.valid_from}) <= $as_of)
    AND ($valid_after IS NULL OR r.valid_to IS NULL
         OR datetime({datetime: r.valid_to}) > $valid_after)
  MATCH (f:Fact {id: r.fact_id})
  WHERE f.scope_key = a.scope_key AND f.status IN $statuses
    AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
    AND ($valid_after IS NULL OR f.valid_to IS NULL
         OR datetime({datetime: f.valid_to}) > $valid_after)
    AND true /*graphmem:filter*/
  WITH r, b, f, kind, coalesce($type_weights[kind], 0.0) AS weight,
       vector.similarity.cosine(f[$vector_property], $embedding) AS similarity
  ORDER BY weight DESC, similarity DESC, f.id, b.id, kind
  LIMIT $per_node
  RETURN r, b, f, kind, similarity
}
// One record, its rows collected: the driver's per-record cost was most of the client
// time of a read of hundreds of rows.
RETURN collect({from_id: a.id, from_name: a.name, outgoing: startNode(r) = a,
                relation: kind, to_id: b.id, to_name: b.name, to_type: b.type,
                fact_id: f.id, score: 2 * similarity - 1}) AS rows
