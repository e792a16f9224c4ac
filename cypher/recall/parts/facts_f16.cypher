// Included: the float16 copies (store/vectors.py) of the scope's visible facts -> f16_facts
// (how many are visible), f16_ids, f16_vectors, for the client to score: on 5.26 a byte array
// comes back as stored, where reading a float list and scoring it on the server costs
// ~15 us a fact (bench/README.md section 7). Facts without a copy (written before graphmem
// kept one) are counted but not collected (collect skips nulls): the caller then asks
// recall/fact_scan instead.
// graphmem:include recall/parts/scope_facts
RETURN count(f) AS f16_facts, collect(f.id) AS f16_ids, collect(f[$f16_property]) AS f16_vectors
