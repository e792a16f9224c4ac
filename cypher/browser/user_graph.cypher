// A user's current graph: the user's entities and the relations between them that hold now.
// Retired relations are WAS (styled pale, "was LIVES_IN"), so even Browser's "connect
// result nodes" cannot show them as current. Set first:  :param user_id => 'quickstart-alice'
MATCH (e:Entity {user_id: $user_id})
OPTIONAL MATCH p = (e)-[r]->(:Entity {user_id: $user_id})
WHERE type(r) <> 'WAS' AND r.invalidated_at IS NULL
  AND (r.valid_to IS NULL OR datetime({datetime: r.valid_to}) > datetime())
RETURN e, p
