// An entity's current neighbourhood: entities within two hops over relations that hold now,
// and the active facts about it. $name may be "me" or the user's name (the self entity).
// Set first:  :param user_id => 'quickstart-alice'   :param name => 'Alice'
MATCH (e:Entity {user_id: $user_id})
WHERE e.key = toLower(trim($name))
   OR (e.key = '__self__'
       AND (toLower(trim($name)) IN ['me', 'i', 'user'] + coalesce(e.aliases, [])))
OPTIONAL MATCH around = (e) ((:Entity)-[r WHERE type(r) <> 'WAS' AND r.invalidated_at IS NULL]-
                             (:Entity)){1,2}
OPTIONAL MATCH facts = (f:Fact {status: 'active'})-[:ABOUT]->(e)
RETURN e, around, facts
