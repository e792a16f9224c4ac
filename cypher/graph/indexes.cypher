// graphmem's indexes and constraints-backed indexes, with their state; vector indexes
// report their dimension (null for the others). Used by `graphmem doctor`.
SHOW INDEXES YIELD name, type, state, labelsOrTypes, properties, options
WHERE name STARTS WITH 'graphmem_'
RETURN name, type, state, labelsOrTypes, properties,
       options.indexConfig['vector.dimensions'] AS dimension
ORDER BY name
