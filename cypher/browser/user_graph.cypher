// A user's graph: the user's entities and the current relations between them.
// Set first:  :param user_id => 'quickstart-alice'
MATCH (e:Entity {user_id: $user_id})
OPTIONAL MATCH p = (e)-[r]->(:Entity {user_id: $user_id})
WHERE r.invalidated_at IS NULL
RETURN e, p
