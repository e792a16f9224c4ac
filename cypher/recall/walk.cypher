// The 1-2 hop neighbourhood of the seed entities over relations valid in the read's
// window: at most $degree_cap neighbours per node, preferring relations whose type the
// query asks for ($type_weights: type -> its match to the query's cue words, computed by
// graphmem.recall), then the most mentioned neighbours, then by id: a walk reaches the same
// neighbours on every run and in store/scope_graph.py (a small scope's walk, in the
// client). Which of a neighbour's tied relations is taken stays open: the walk weighs them
// alike (proximity counts a pair of entities and whether the query asks for the type; an
// id per relation cost ~2 ms more on a big tenant's walk).
// $as_of / $valid_after bound the validity interval; $include_invalidated admits
// relations a later fact superseded (history and as_of reads). reached_degree: how many
// facts are about the reached entity (the caller bounds how many facts it enumerates).
// A hub (more than $through_max relationships, facts' ABOUT links included: the degree
// store answers without reading them) is walked to but not through: ranking its
// neighbours reads every one of its relations, and the second hop's cost came from
// hubs alone (a big tenant's walk read ~15,000 relations for 200 rows).
// A retired relation is a WAS holding its own type in `relation` (write/supersede).
UNWIND $seed_ids AS seed_id
MATCH (a:Entity {id: seed_id})
WHERE ($user_id IS NULL OR a.user_id = $user_id)
  AND ($agent_id IS NULL OR a.agent_id = $agent_id)
  AND ($run_id IS NULL OR a.run_id = $run_id)
CALL (a) {
  MATCH (a)-[r]-(b:Entity)
  WHERE b.scope_key = a.scope_key
    AND ($include_invalidated OR r.invalidated_at IS NULL)
    AND ($as_of IS NULL OR r.valid_from IS NULL OR datetime({datetime: r.valid_from}) <= $as_of)
    AND ($valid_after IS NULL OR r.valid_to IS NULL
         OR datetime({datetime: r.valid_to}) > $valid_after)
  WITH r, b, coalesce($type_weights[coalesce(r.relation, type(r))], 0.0) AS asked
  ORDER BY asked DESC, b.mentions DESC, b.id
  LIMIT $degree_cap
  RETURN r, b, 1 AS hop
  UNION
  // Seeds in $one_hop_ids (entities a relational path reached: the path already says how
  // they bear on the query) are walked one hop only.
  MATCH (a)-[r0]-(m:Entity)
  WHERE NOT a.id IN $one_hop_ids AND m.scope_key = a.scope_key
    AND ($include_invalidated OR r0.invalidated_at IS NULL)
    AND ($as_of IS NULL OR r0.valid_from IS NULL OR datetime({datetime: r0.valid_from}) <= $as_of)
    AND ($valid_after IS NULL OR r0.valid_to IS NULL
         OR datetime({datetime: r0.valid_to}) > $valid_after)
  WITH m, coalesce($type_weights[coalesce(r0.relation, type(r0))], 0.0) AS asked
  ORDER BY asked DESC, m.mentions DESC, m.id
  LIMIT $degree_cap
  WITH m WHERE COUNT { (m)--() } <= $through_max
  CALL (m) {
    MATCH (m)-[r]-(b:Entity)
    WHERE b.scope_key = m.scope_key
      AND ($include_invalidated OR r.invalidated_at IS NULL)
      AND ($as_of IS NULL OR r.valid_from IS NULL OR datetime({datetime: r.valid_from}) <= $as_of)
      AND ($valid_after IS NULL OR r.valid_to IS NULL
           OR datetime({datetime: r.valid_to}) > $valid_after)
    WITH r, b, coalesce($type_weights[coalesce(r.relation, type(r))], 0.0) AS asked
    ORDER BY asked DESC, b.mentions DESC, b.id
    LIMIT $degree_cap
    RETURN r, b
  }
  WITH r, b WHERE b <> a
  RETURN r, b, 2 AS hop
}
// One record, its rows collected: the driver's per-record cost was most of the client
// time of a read of hundreds of rows.
WITH DISTINCT {source_id: startNode(r).id, relation: coalesce(r.relation, type(r)),
                target_id: endNode(r).id, fact_id: r.fact_id, reached_id: b.id,
                reached_name: b.name, hop: hop,
                reached_degree: COUNT { (b)<-[:ABOUT]-() }} AS row
RETURN collect(row) AS rows
