// Remove entities no fact is about any more (their relations went with their facts).
// $ids: [entity id]
UNWIND $ids AS entity_id
MATCH (e:Entity {id: entity_id})
WHERE NOT EXISTS { (:Fact)-[:ABOUT]->(e) }
DETACH DELETE e
RETURN count(*) AS deleted
