// graphmem's vector indexes for vector slot B (property `embedding_b`): the same as
// schema_vectors.cypher for the other slot. `graphmem reembed` writes a new model's vectors
// into the slot the store does not answer from, so slots A and B take turns.
// Parameters: $dimension.
CREATE VECTOR INDEX graphmem_fact_embedding_b IF NOT EXISTS
FOR (f:Fact) ON (f.embedding_b)
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};

CREATE VECTOR INDEX graphmem_entity_embedding_b IF NOT EXISTS
FOR (e:Entity) ON (e.embedding_b)
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimension),
                       `vector.similarity_function`: 'cosine'}};
