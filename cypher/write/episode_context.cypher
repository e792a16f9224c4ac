// What re-extraction needs besides the messages: when the conversation happened (if the
// caller said; else created_at applies) and the add's metadata, as a JSON string.
MATCH (ep:Episode {id: $id})
SET ep.occurred_at = $at, ep.metadata = $metadata
RETURN ep.id AS id
