// An entity's neighbourhood: entities within two hops, and the active facts about it.
// Set first:  :param user_id => 'quickstart-alice'   :param name => 'Alice'
MATCH (e:Entity {user_id: $user_id})
WHERE e.key = toLower(trim($name))
OPTIONAL MATCH around = (e) ((:Entity)-[]-(:Entity)){1,2}
OPTIONAL MATCH facts = (f:Fact {status: 'active'})-[:ABOUT]->(e)
RETURN e, around, facts
