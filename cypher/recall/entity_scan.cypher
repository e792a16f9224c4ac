// Exact: the scope's entities whose name embedding is at least $min_score (raw cosine)
// from the query, best first.
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/entities_scan
RETURN e.id AS id, e.name AS name, score, COUNT { (e)<-[:ABOUT]-() } AS degree
