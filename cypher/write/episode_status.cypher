MATCH (ep:Episode {id: $id})
SET ep.status = $status, ep.error = $error, ep.updated_at = datetime()
RETURN ep.id AS id
