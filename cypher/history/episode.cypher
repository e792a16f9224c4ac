// One episode (the raw messages of an add) by id, for re-extraction.
MATCH (ep:Episode {id: $id})
RETURN ep {.*} AS episode
