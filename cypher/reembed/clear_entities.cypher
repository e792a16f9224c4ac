// As clear_facts, for entities. $property, $after, $batch_size
MATCH (n:Entity)
WHERE n.id > $after AND n[$property] IS NOT NULL
WITH n ORDER BY n.id LIMIT $batch_size
SET n[$property] = null
RETURN count(n) AS cleared, max(n.id) AS last
