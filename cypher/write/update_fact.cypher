// A caller's edit of a fact's text: new text, hash and embedding, and metadata merged in
// (flattened `meta.<key>` properties; keys not given stay). Its entities and relations are
// derived again by the caller: write/unlink_fact, then write/batch.
// Both vector slots are cleared before the active one is set: a re-embedding job's vector of
// the old text must not survive (the job embeds the fact again; store/vectors.py); nor its
// float16 copies.
// $id, $text, $content_hash, $embedding, $f16 (it as float16 bytes), $metadata (the caller
// confined $id to the scope)
MATCH (f:Fact {id: $id})
SET f.text = $text, f.content_hash = $content_hash, f.updated_at = datetime(), f += $metadata,
    f.embedding = null, f.embedding_b = null, f.embedding_f16 = null, f.embedding_b_f16 = null
WITH f
CALL db.create.setNodeVectorProperty(f, $vector_property, $embedding)
SET f[$f16_property] = $f16
RETURN f.id AS id
