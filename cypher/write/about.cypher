// Link facts to the entities they are about. $about: [{fact_id, key}]
UNWIND $about AS row
MATCH (f:Fact {id: row.fact_id})
MATCH (e:Entity {scope_key: $scope_key, key: row.key})
MERGE (f)-[:ABOUT]->(e)
RETURN count(*) AS linked
