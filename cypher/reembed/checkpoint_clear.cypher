// The clear phase's cursor after a batch. $label, $after
MATCH (j:ReembedJob {key: 'graphmem'})
SET j.label = $label, j.after = $after, j.updated_at = datetime()
RETURN j {.*} AS job
