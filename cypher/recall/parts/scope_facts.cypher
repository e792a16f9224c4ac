// Included after scope_keys: the scope's visible facts -> f, found through the scope-key
// index, under the read window and the caller's filter. $statuses: visible statuses; $as_of:
// facts valid at that instant (valid_from <= as_of); $valid_after: facts whose valid_to is
// later (null: no check).
UNWIND keys AS key
MATCH (f:Fact {scope_key: key})
WHERE f.status IN $statuses
  AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
