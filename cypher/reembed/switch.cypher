// The switch, in one transaction: the store answers from the job's slot, model and dimension
// from now on (every process reads the EmbeddingSpace again within SPACE_TTL_S). Refused (no
// row) while any fact or entity with a vector in the source slot has none in the target:
// the job then catches those up and tries again, so search never answers from a slot that
// lacks part of the data.
// $source_property, $target_property
MATCH (j:ReembedJob {key: 'graphmem', phase: 'embed'}), (s:EmbeddingSpace {key: 'graphmem'})
WHERE NOT EXISTS {
        MATCH (f:Fact) WHERE f[$target_property] IS NULL AND f[$source_property] IS NOT NULL
      }
  AND NOT EXISTS {
        MATCH (e:Entity) WHERE e[$target_property] IS NULL AND e[$source_property] IS NOT NULL
      }
SET s.slot = j.slot, s.model = j.model, s.dimension = j.dimension, s.switched_at = datetime(),
    j.phase = 'switched', j.switched_at = datetime(), j.sweep = j.sweep + 1, j.label = 'Fact',
    j.after = '', j.sweep_nodes = 0, j.updated_at = datetime()
RETURN s.slot AS slot, s.model AS model, s.dimension AS dimension, j {.*} AS job
