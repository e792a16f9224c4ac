// Included inside a collect() or RETURN, with f (a fact) and about (its entities) bound:
// one fact's row as recall reads it (RecallReads.fact_rows): its properties, raw cosine to
// the query, the entities it is about, the entity-to-entity relations resting on it (with
// their validity) and its vector, for duplicate checks and diversity.
{
  // Timestamps as microseconds since the epoch: the driver's DateTime decoding was
  // most of a search's own Python time.
  fact: f {.*, embedding: null, embedding_b: null, embedding_f16: null, embedding_b_f16: null,
           created_at: f.created_at.epochSeconds * 1000000 + f.created_at.microsecond,
           updated_at: f.updated_at.epochSeconds * 1000000 + f.updated_at.microsecond},
  episodes: [(f)-[:FROM]->(ep:Episode) | ep.id],
  entities: [e IN about | {id: e.id, name: e.name}],
  // Both ends bound to the fact's own entities first (a pattern through both
  // made the planner expand every fact about b, 13,000 rows for a big tenant's
  // 30 facts), then each relation is found between two known nodes.
  relations: COLLECT {
    UNWIND about AS a
    UNWIND about AS b
    WITH a, b WHERE a <> b
    MATCH (a)-[r]->(b)
    WHERE r.fact_id = f.id
    RETURN {source: a.name, relation: coalesce(r.relation, type(r)), target: b.name,
            fact_id: r.fact_id,
            valid_from: r.valid_from, valid_to: r.valid_to}
  },
  // $known_scores: fact id -> this score where the caller already has it exactly (a
  // scanned scope's similarities): reading the stored vector again was ~20 us a row.
  score: CASE WHEN $known_scores[f.id] IS NULL
              THEN 2 * vector.similarity.cosine(f[$vector_property], $embedding) - 1
              ELSE $known_scores[f.id] END,
  // For near-duplicates and diversity: the float16 copy (store/vectors.py; bytes come
  // back as stored, a float list is built value by value), the vector where a fact
  // written by an older graphmem has none.
  embedding: coalesce(f[$f16_property], f[$vector_property])
}
