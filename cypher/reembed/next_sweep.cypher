// A sweep ended: start the next from the first fact. Sweeps repeat until one finds nothing
// left to embed (the writes made while the last one ran have been caught up).
MATCH (j:ReembedJob {key: 'graphmem'})
SET j.sweep = j.sweep + 1, j.label = 'Fact', j.after = '', j.sweep_nodes = 0,
    j.updated_at = datetime()
RETURN j {.*} AS job
