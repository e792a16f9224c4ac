// The database's re-embedding job and its checkpoint (graphmem/reembed.py), if one is
// unfinished. One node, key 'graphmem': the checkpoint lives with the data it describes, and
// every process (a resumed `graphmem reembed`, another machine) sees the same one.
MATCH (j:ReembedJob {key: 'graphmem'})
RETURN j {.*} AS job
