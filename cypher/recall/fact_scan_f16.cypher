// recall/fact_scan's first half for a large scope: the float16 copies (store/vectors.py) of
// the scope's visible facts under the caller's filter, scored by the client, which re-scores
// its shortlist exactly (recall/fact_hits). On 5.26 reading and scoring a float list on the
// server costs ~15 us a fact, a byte array comes back as stored (bench/README.md section 7).
// `facts` counts the visible facts: when some have no copy (written before graphmem kept
// one; collect skips nulls) the caller runs recall/fact_scan instead.
// graphmem:include recall/parts/scope_keys
UNWIND keys AS key
MATCH (f:Fact {scope_key: key})
WHERE f.status IN $statuses
  AND ($as_of IS NULL OR f.valid_from IS NULL OR datetime({datetime: f.valid_from}) <= $as_of)
  AND ($valid_after IS NULL OR f.valid_to IS NULL
       OR datetime({datetime: f.valid_to}) > $valid_after)
  AND true /*graphmem:filter*/
RETURN count(f) AS facts, collect(f.id) AS ids, collect(f[$f16_property]) AS vectors
