// An entity's timeline: each relation with its validity and the fact it rests on (table).
// Set first:  :param user_id => 'quickstart-alice'   :param name => 'Alice'
MATCH (e:Entity {user_id: $user_id})
WHERE e.key = toLower(trim($name))
MATCH (e)-[r]-(other:Entity)
OPTIONAL MATCH (f:Fact {id: r.fact_id})
RETURN CASE WHEN startNode(r) = e THEN type(r) + ' ->' ELSE '<- ' + type(r) END AS relation,
       other.name AS other_end,
       coalesce(r.valid_from, r.created_at) AS valid_from,
       r.valid_to AS valid_to,
       r.invalidated_at AS invalidated_at,
       f.text AS source_fact,
       f.status AS fact_status
ORDER BY datetime({datetime: coalesce(r.valid_from, r.created_at)}), r.created_at
