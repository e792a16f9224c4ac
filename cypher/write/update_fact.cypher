// A caller's edit of a fact's text: new text, hash and embedding, and metadata merged in
// (flattened `meta.<key>` properties; keys not given stay). Its entities and relations are
// derived again by the caller: write/unlink_fact, then write/batch.
// Both vector slots are cleared before the active one is set: a re-embedding job's vector of
// the old text must not survive (the job embeds the fact again; store/vectors.py).
// $id, $text, $content_hash, $embedding, $metadata (the caller confined $id to the scope)
MATCH (f:Fact {id: $id})
SET f.text = $text, f.content_hash = $content_hash, f.updated_at = datetime(), f += $metadata,
    f.embedding = null, f.embedding_b = null
WITH f
CALL db.create.setNodeVectorProperty(f, $vector_property, $embedding)
RETURN f.id AS id
