// Lexical hits: facts of the scope matching the Lucene query $terms (plain words OR-ed),
// best first. queryNodes streams every match in score order and the scope filter drops
// the others, so the scope's top $k here is exact without an over-fetch guess.
CALL db.index.fulltext.queryNodes('graphmem_text', $terms) YIELD node AS f, score
WHERE f:Fact AND f.status IN $statuses
  AND ($user_id IS NULL OR f.user_id = $user_id)
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
  AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
RETURN f.id AS id, score
LIMIT $k
