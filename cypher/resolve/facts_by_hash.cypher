// Active facts of one scope with these content hashes: exact duplicates, whatever the index says.
UNWIND $items AS item
MATCH (f:Fact {scope_key: $scope_key, content_hash: item.content_hash, status: 'active'})
RETURN item.index AS index, f.id AS id, f.text AS text, f.content_hash AS content_hash,
       1.0 AS score
