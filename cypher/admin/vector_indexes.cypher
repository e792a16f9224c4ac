// graphmem's vector indexes with their dimensions and state.
SHOW VECTOR INDEXES YIELD name, state, labelsOrTypes, properties, options
WHERE name STARTS WITH 'graphmem_'
RETURN name, state, labelsOrTypes, properties,
       options.indexConfig['vector.dimensions'] AS dimension
