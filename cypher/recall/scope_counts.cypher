// How many facts and entities a (partial) scope holds, each counted no further than $cap,
// and its version: `versions`, each scope key with its write count.
// graphmem:include recall/parts/scope_keys
// graphmem:include recall/parts/scope_sizes
RETURN facts, entities, versions
