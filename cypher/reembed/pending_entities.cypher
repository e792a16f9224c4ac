// As pending_facts, for entities: their vector is their name's.
// $source_property, $target_property, $after, $batch_size
MATCH (n:Entity)
WHERE n.id > $after AND n[$target_property] IS NULL AND n[$source_property] IS NOT NULL
RETURN n.id AS id, n.name AS text
ORDER BY n.id
LIMIT $batch_size
