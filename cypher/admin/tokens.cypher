// The relationship types and labels the database knows (its token store). Recall reads
// them, every little while, as the names a query's words may match (a relation type by its
// name, an entity kind by its label); graphmem's own are set aside by the caller.
CALL () {
  CALL db.relationshipTypes() YIELD relationshipType
  RETURN collect(relationshipType) AS relation_types
}
CALL () {
  CALL db.labels() YIELD label
  RETURN collect(label) AS labels
}
RETURN relation_types, labels
