// One scope's relation vocabulary replaced whole by graphmem/vocabulary.py: a RelationWords
// per relation type holding the last $vocabulary_window word occurrences (the window
// write/batch keeps), and none for a type the scope no longer has. Run under the scope's
// lock. $scope_key, $rows: [{type, words}], $vocabulary_window
OPTIONAL MATCH (old:RelationWords {scope_key: $scope_key})
WHERE NOT old.type IN [row IN $rows | row.type]
DELETE old
WITH count(*) AS cleared
UNWIND $rows AS row
MERGE (v:RelationWords {scope_key: $scope_key, type: row.type})
SET v.words = row.words[-$vocabulary_window..]
RETURN count(v) AS types
