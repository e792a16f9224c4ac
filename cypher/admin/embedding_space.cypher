// Which vector slot, model and dimension the store answers from (graphmem/store/vectors.py).
// One node for the database; absent on a database from before re-embedding existed.
MATCH (s:EmbeddingSpace {key: 'graphmem'})
RETURN s.slot AS slot, s.model AS model, s.dimension AS dimension
