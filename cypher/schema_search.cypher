// graphmem's vector indexes on servers whose SEARCH clause filters inside the index
// (Neo4j 2026.06 and later; graphmem applies this file before schema.cypher there).
// Parameters: $dimension (the embedder's vector length).
//
// WITH [...] stores the listed properties in the index as filter properties: SEARCH's own
// WHERE can then confine the nearest-neighbour walk to one scope's facts, instead of taking
// the global top-k and dropping other tenants' hits afterwards (queryNodes on 5.26).
// scope_key, not user_id/agent_id/run_id: a partial scope (say, only user_id) is the list of
// its scope keys, and SEARCH filters take equality, ranges and IN lists, never "unset id
// matches any value" (no OR; a missing property never equals anything).
//
// IF NOT EXISTS: a database whose indexes predate this file keeps its plain indexes (graphmem
// then reads them with queryNodes, see GraphStore.vector_search); schema.cypher's plain
// statements of the same names do nothing once these exist.

CYPHER 25
CREATE VECTOR INDEX graphmem_fact_embedding IF NOT EXISTS
FOR (f:Fact) ON (f.embedding)
WITH [f.scope_key, f.status]
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};

CYPHER 25
CREATE VECTOR INDEX graphmem_entity_embedding IF NOT EXISTS
FOR (e:Entity) ON (e.embedding)
WITH [e.scope_key]
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};
