// Move the job to its next phase with a fresh cursor ('clear': the old slot's vectors are
// being removed). $phase
MATCH (j:ReembedJob {key: 'graphmem'})
SET j.phase = $phase, j.label = 'Fact', j.after = '', j.updated_at = datetime()
RETURN j {.*} AS job
