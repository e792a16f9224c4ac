// Create facts (idempotent on id), store their vectors, link them to their episode.
// $facts: [{id, props: {text, content_hash, scope_key, user_id, ..., `meta.<key>`}, embedding}]
MATCH (ep:Episode {id: $episode_id})
UNWIND $facts AS row
MERGE (f:Fact {id: row.id})
  ON CREATE SET f += row.props, f.created_at = datetime(), f.updated_at = datetime(),
                f.mentions = 1
WITH ep, f, row
CALL db.create.setNodeVectorProperty(f, 'embedding', row.embedding)
MERGE (f)-[:FROM]->(ep)
RETURN count(f) AS written
