// Everything an add writes to the graph, for one scope (an add) or many (a bulk load):
// facts (vectors stored, linked to their episode), entities (upserted by (scope_key, key);
// the uniqueness constraint makes concurrent writers converge on one node), ABOUT links,
// typed relations, and the add's change log (a bulk load has none). Idempotent: MERGE on
// stable ids and keys (a relation is created unless its fact already carries it), so a
// retried transaction or a re-extracted episode writes the same graph. One statement, one
// round trip, however many rows. The subqueries run in order for each batch: entities,
// then relations (before the facts, to see which facts are new), facts, ABOUT links,
// vocabulary, change log.
//
// $batches: [{scope_key, user_id, agent_id, run_id, episode_id,
//   facts:     [{id, props: {text, content_hash, scope_key, ..., `meta.<key>`}, embedding,
//                f16 (the vector as float16 bytes), valid_from, valid_to, observed_at}],
//   entities:  [{id, key, name, type, embedding, aliases}],
//   about:     [{fact_id, key}],
//   relations: [{source_key, type, target_key, fact_id, valid_from, valid_to, relation}],
//   vocabulary: [{type, words}],
//   changes:   [{id, seq, target_id, op, old, new, actor, reason, episode_id}],
//   moments:   [datetime]}]
// The rows' valid_from, valid_to and observed_at are positions in the batch's `moments`
// (or null): an add's rows share a few distinct moments, and the driver converts each
// datetime it sends in Python, so each is sent once (store/neo4j.py, Moments).
//
// Entity type labels and relation types are dynamic and pre-sanitised (identifiers.py):
// ^[A-Z][A-Z0-9_]*$. A type label is set when the entity is created; a later mention with
// another type does not relabel it. An entity's embedding (its created name's) is stored
// once: rewriting it on every mention would update the vector index for nothing. A null
// row embedding (a bulk load sends each entity's vector once) leaves the stored one.
// Aliases (other keys the self entity is known by: its user_id, the user's name) are added
// to the stored ones; entities without any get no property.
// A relation already over when it is stored (valid_to in the past) arrives as history:
// type WAS, its own type in `relation` (see write/supersede).
//
// Every MATCH names its index: the keys come from the rows, and a plan made while the
// database was (nearly) empty may otherwise scan an index (all entities) per row, and stay
// cached while the data grows.
UNWIND $batches AS b
CALL (b) {
  UNWIND b.entities AS row
  MERGE (e:Entity {scope_key: b.scope_key, key: row.key})
    ON CREATE SET e.id = row.id, e.name = row.name, e.type = row.type,
                  e.user_id = b.user_id, e.agent_id = b.agent_id, e.run_id = b.run_id,
                  e.created_at = datetime(), e.mentions = 0, e:$(row.type)
  SET e.mentions = e.mentions + 1, e.updated_at = datetime()
  FOREACH (_ IN CASE WHEN size(row.aliases) > 0 THEN [1] ELSE [] END |
    SET e.aliases = reduce(known = coalesce(e.aliases, []), a IN row.aliases |
                           CASE WHEN a IN known THEN known ELSE known + a END))
  WITH e, row
  CALL (e, row) {
    WITH e, row WHERE e[$vector_property] IS NULL AND row.embedding IS NOT NULL
    CALL db.create.setNodeVectorProperty(e, $vector_property, row.embedding)
  }
  RETURN count(e) AS entities
}
CALL (b) {
  UNWIND b.relations AS row
  MATCH (s:Entity {scope_key: b.scope_key, key: row.source_key})
  USING INDEX s:Entity(scope_key, key)
  MATCH (t:Entity {scope_key: b.scope_key, key: row.target_key})
  USING INDEX t:Entity(scope_key, key)
  OPTIONAL MATCH (stored:Fact {id: row.fact_id})
  USING INDEX stored:Fact(id)
  // A relation is written only with its fact, so a fact new to this statement has none
  // yet (rows arrive unique). A stored one (a re-extracted episode, a retried write) may:
  // look for it from the source only, bounded by that entity's degree (a pattern between
  // two bound nodes can be planned as a scan of every relationship when planned while the
  // database was nearly empty).
  CALL (s, row, stored) {
    WITH s, row WHERE stored IS NOT NULL
    OPTIONAL MATCH (s)-[x]->(o)
    WHERE x.fact_id = row.fact_id AND type(x) = row.type
    RETURN collect(o) AS targets
  }
  WITH b, row, s, t WHERE NOT t IN targets
  CREATE (s)-[r:$(row.type) {fact_id: row.fact_id}]->(t)
  SET r.episode_id = b.episode_id, r.valid_from = b.moments[row.valid_from],
      r.valid_to = b.moments[row.valid_to], r.created_at = datetime(), r.relation = row.relation
  RETURN count(r) AS relations
}
CALL (b) {
  MATCH (ep:Episode {id: b.episode_id})
  USING INDEX ep:Episode(id)
  UNWIND b.facts AS row
  MERGE (f:Fact {id: row.id})
    ON CREATE SET f += row.props, f.valid_from = b.moments[row.valid_from],
                  f.valid_to = b.moments[row.valid_to],
                  f.observed_at = b.moments[row.observed_at],
                  f.created_at = datetime(), f.updated_at = datetime(), f.mentions = 1
  WITH ep, f, row
  CALL db.create.setNodeVectorProperty(f, $vector_property, row.embedding)
  SET f[$f16_property] = row.f16  // recall's float16 copy (store/vectors.py)
  MERGE (f)-[:FROM]->(ep)
  RETURN count(f) AS facts
}
CALL (b) {
  UNWIND b.about AS row
  MATCH (f:Fact {id: row.fact_id})
  USING INDEX f:Fact(id)
  MATCH (e:Entity {scope_key: b.scope_key, key: row.key})
  USING INDEX e:Entity(scope_key, key)
  MERGE (f)-[:ABOUT]->(e)
  RETURN count(*) AS about
}
// What the scope's facts call each relation type ("boss", "manager" for MANAGES): a window
// of the last $vocabulary_window word occurrences per (scope, type), for recall to match
// queries against.
CALL (b) {
  UNWIND b.vocabulary AS row
  MERGE (v:RelationWords {scope_key: b.scope_key, type: row.type})
  SET v.words = (coalesce(v.words, []) + row.words)[-$vocabulary_window..]
  RETURN count(v) AS vocabularies
}
// The change log (as write/changes writes it).
CALL (b) {
  UNWIND b.changes AS c
  WITH c, b.scope_key AS scope_key
  // graphmem:include write/parts/change
  RETURN count(x) AS changes
}
RETURN sum(facts) AS facts, sum(entities) AS entities, sum(about) AS about,
       sum(relations) AS relations, sum(changes) AS changes
