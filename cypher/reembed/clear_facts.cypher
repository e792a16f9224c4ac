// After the switch: remove the old slot's vectors from the next facts in id order (the old
// slot's indexes are dropped first, so this is plain property removal), and its float16 copy.
// $property, $f16_property, $after, $batch_size
MATCH (n:Fact)
WHERE n.id > $after AND n[$property] IS NOT NULL
WITH n ORDER BY n.id LIMIT $batch_size
SET n[$property] = null, n[$f16_property] = null
RETURN count(n) AS cleared, max(n.id) AS last
