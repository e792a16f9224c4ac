// An entity's timeline (table): each relation, current or retired (WAS), with its validity
// and the fact it rests on, in valid-time order. $name may be "me" or the user's name.
// Set first:  :param user_id => 'quickstart-alice'   :param name => 'Alice'
MATCH (e:Entity {user_id: $user_id})
WHERE e.key = toLower(trim($name))
   OR (e.key = '__self__'
       AND (toLower(trim($name)) IN ['me', 'i', 'user'] + coalesce(e.aliases, [])))
MATCH (e)-[r]-(other:Entity)
OPTIONAL MATCH (f:Fact {id: r.fact_id})
WITH e, r, other, f, coalesce(r.relation, type(r)) AS kind
RETURN CASE WHEN startNode(r) = e THEN kind + ' ->' ELSE '<- ' + kind END AS relation,
       other.name AS other_end,
       coalesce(r.valid_from, r.created_at) AS valid_from,
       r.valid_to AS valid_to,
       r.invalidated_at AS invalidated_at,
       f.text AS source_fact,
       f.status AS fact_status
ORDER BY datetime({datetime: coalesce(r.valid_from, r.created_at)}), r.created_at
