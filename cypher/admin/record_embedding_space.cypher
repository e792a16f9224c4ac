// Record the embedding space of a database that has none yet (a new one, or one from before
// re-embedding existed, whose vectors are in slot A): the first embedder to start on it.
// MERGE on the constant key: concurrent first starts record one node, the first one's.
// $slot, $model, $dimension
MERGE (s:EmbeddingSpace {key: 'graphmem'})
  ON CREATE SET s.slot = $slot, s.model = $model, s.dimension = $dimension,
                s.recorded_at = datetime()
RETURN s.slot AS slot, s.model AS model, s.dimension AS dimension
