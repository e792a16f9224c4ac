// graphmem schema: applied at start-up, every statement idempotent (IF NOT EXISTS).
// Parameters: $dimension (the embedder's vector length).

// One node per (scope, normalised name): two concurrent writers cannot create twins.
CREATE CONSTRAINT graphmem_entity_scope_key IF NOT EXISTS
FOR (e:Entity) REQUIRE (e.scope_key, e.key) IS UNIQUE;

CREATE CONSTRAINT graphmem_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT graphmem_fact_id IF NOT EXISTS FOR (f:Fact) REQUIRE f.id IS UNIQUE;
CREATE CONSTRAINT graphmem_episode_id IF NOT EXISTS FOR (ep:Episode) REQUIRE ep.id IS UNIQUE;
CREATE CONSTRAINT graphmem_change_id IF NOT EXISTS FOR (c:Change) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT graphmem_scope_key IF NOT EXISTS FOR (s:Scope) REQUIRE s.key IS UNIQUE;
// One embedding space record and at most one re-embedding job per database (store/vectors.py).
CREATE CONSTRAINT graphmem_embedding_space IF NOT EXISTS
  FOR (s:EmbeddingSpace) REQUIRE s.key IS UNIQUE;
CREATE CONSTRAINT graphmem_reembed_job IF NOT EXISTS FOR (j:ReembedJob) REQUIRE j.key IS UNIQUE;
CREATE CONSTRAINT graphmem_relation_words IF NOT EXISTS
  FOR (v:RelationWords) REQUIRE (v.scope_key, v.type) IS UNIQUE;
// Recall reads a scope's relation vocabularies by scope_key alone.
CREATE INDEX graphmem_relation_words_scope IF NOT EXISTS
  FOR (v:RelationWords) ON (v.scope_key);

// Scope ids: reads resolve a partial scope to its full scope keys through these.
CREATE INDEX graphmem_scope_user IF NOT EXISTS FOR (s:Scope) ON (s.user_id);
CREATE INDEX graphmem_scope_agent IF NOT EXISTS FOR (s:Scope) ON (s.agent_id);
CREATE INDEX graphmem_scope_run IF NOT EXISTS FOR (s:Scope) ON (s.run_id);
CREATE INDEX graphmem_fact_scope IF NOT EXISTS FOR (f:Fact) ON (f.scope_key, f.status);
CREATE INDEX graphmem_fact_hash IF NOT EXISTS FOR (f:Fact) ON (f.scope_key, f.content_hash);
CREATE INDEX graphmem_entity_scope IF NOT EXISTS FOR (e:Entity) ON (e.scope_key);
CREATE INDEX graphmem_change_scope IF NOT EXISTS FOR (c:Change) ON (c.scope_key);
CREATE INDEX graphmem_episode_scope IF NOT EXISTS FOR (ep:Episode) ON (ep.scope_key);
CREATE INDEX graphmem_change_target IF NOT EXISTS FOR (c:Change) ON (c.target_id);

// The vector indexes: schema_vectors.cypher (or _b, for the store's active vector slot).

CREATE FULLTEXT INDEX graphmem_text IF NOT EXISTS
FOR (n:Entity|Fact) ON EACH [n.name, n.text];
