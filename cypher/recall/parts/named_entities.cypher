// Included: the entities of the scope `keys` whose normalised name is one of $names -> e.
UNWIND keys AS key
UNWIND $names AS name
MATCH (e:Entity {scope_key: key, key: name})
