// What an edit of one fact starts from: the fact's validity and content hash, the entities
// it is about (with the names they are known by) and its current relations (retired WAS
// history stays with the fact as it was). $id (the caller confined it to the scope)
MATCH (f:Fact {id: $id})
RETURN f.content_hash AS content_hash, f.valid_from AS valid_from, f.valid_to AS valid_to,
       f.status AS status,
       [(f)-[:ABOUT]->(e:Entity) | e {.key, .name, .type, .aliases}] AS entities,
       COLLECT {
         MATCH (f)-[:ABOUT]->(a:Entity)-[r]->(b:Entity)<-[:ABOUT]-(f)
         WHERE r.fact_id = f.id AND type(r) <> 'WAS'
         RETURN {source_key: a.key, source: a.name, relation: type(r), target_key: b.key,
                 target: b.name}
       } AS relations
