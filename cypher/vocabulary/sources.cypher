// The relations of one scope with the text of the fact each rests on, oldest fact first:
// what write/batch appended to the scope's RelationWords as it wrote them, read back so
// graphmem/vocabulary.py can rebuild them (after a restore; for a scope written before
// graphmem kept them). A retired relation (WAS) counts under the type it had.
// $scope_key
MATCH (a:Entity {scope_key: $scope_key})-[r]->(b:Entity)
WHERE r.fact_id IS NOT NULL
MATCH (f:Fact {id: r.fact_id})
RETURN coalesce(r.relation, type(r)) AS type, a.name AS source, b.name AS target,
       f.text AS text
ORDER BY f.created_at, f.id, type, source, target
