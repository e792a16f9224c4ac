// The next facts a re-embedding sweep embeds: after the cursor $after in id order (the
// unique constraint's index walks them in order), those whose vector is in the source slot
// and not yet in the target slot. Facts of every status: superseded history is searchable
// too. A fact written after the sweep passed its id is found by the next sweep.
// $source_property, $target_property, $after, $batch_size
MATCH (n:Fact)
WHERE n.id > $after AND n[$target_property] IS NULL AND n[$source_property] IS NOT NULL
RETURN n.id AS id, n.text AS text
ORDER BY n.id
LIMIT $batch_size
