// Metadata merged into a fact whose text an update left as it was (mem0's
// update(memory_id, data, metadata)): flattened `meta.<key>` properties; keys not given stay.
// $id, $metadata (the caller confined $id to the scope)
MATCH (f:Fact {id: $id})
SET f += $metadata, f.updated_at = datetime()
RETURN f.id AS id
