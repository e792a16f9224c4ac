// Start a re-embedding job: the new model's vectors go to vector slot $slot (the one the
// store does not answer from). CREATE under the unique key: two jobs cannot start at once.
// Sweep 1 walks facts, then entities, in id order from the empty cursor.
// $slot, $provider, $model, $dimension, $from_model
CREATE (j:ReembedJob {key: 'graphmem', slot: $slot, provider: $provider, model: $model,
                      dimension: $dimension, from_model: $from_model, phase: 'embed',
                      sweep: 1, label: 'Fact', after: '', batches: 0, nodes: 0,
                      sweep_nodes: 0, started_at: datetime(), updated_at: datetime()})
RETURN j {.*} AS job
