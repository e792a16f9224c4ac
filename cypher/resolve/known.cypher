// What one scope already holds of an add's names and facts, in one round trip
// (resolve/parts/known).
// $scope_key, $keys: [string], $items: [{index, content_hash}]
// graphmem:include resolve/parts/known
RETURN entities, facts
