// The job is done (or abandoned by --restart): its checkpoint goes.
MATCH (j:ReembedJob {key: 'graphmem'})
DELETE j
