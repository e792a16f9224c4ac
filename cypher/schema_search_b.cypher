// Vector slot B's indexes with SEARCH filter properties (2026.06+), as schema_search.cypher
// makes slot A's. Recall's SEARCH statements (recall/fact_search, entity_search) name slot A's
// indexes, so while slot B is active recall reads these through queryNodes
// (GraphStore.vector_search); the filter properties cost nothing and are ready for it.
// Parameters: $dimension.

CYPHER 25
CREATE VECTOR INDEX graphmem_fact_embedding_b IF NOT EXISTS
FOR (f:Fact) ON (f.embedding_b)
WITH [f.scope_key, f.status]
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};

CYPHER 25
CREATE VECTOR INDEX graphmem_entity_embedding_b IF NOT EXISTS
FOR (e:Entity) ON (e.embedding_b)
WITH [e.scope_key]
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};
