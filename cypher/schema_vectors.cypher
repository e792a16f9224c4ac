// graphmem's vector indexes for vector slot A (property `embedding`; see
// graphmem/store/vectors.py): applied at start-up when slot A is the store's active slot, and
// by `graphmem reembed` when it re-embeds into slot A. Parameters: $dimension.
//
// As 5.26 (and 2025.x, 2026.01-05) take them. On 2026.06 and later, schema_search.cypher
// creates the same two first, with SEARCH filter properties, and these two statements then
// find them and do nothing.
CREATE VECTOR INDEX graphmem_fact_embedding IF NOT EXISTS
FOR (f:Fact) ON (f.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};

CREATE VECTOR INDEX graphmem_entity_embedding IF NOT EXISTS
FOR (e:Entity) ON (e.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};
