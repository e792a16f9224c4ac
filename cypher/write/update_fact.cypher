// A caller's edit of a fact's text: new text, hash and embedding, and metadata merged in
// (flattened `meta.<key>` properties; keys not given stay). Its entities and relations are
// derived again by the caller: write/unlink_fact, then write/batch.
// $id, $text, $content_hash, $embedding, $metadata (the caller confined $id to the scope)
MATCH (f:Fact {id: $id})
SET f.text = $text, f.content_hash = $content_hash, f.updated_at = datetime(), f += $metadata
WITH f
CALL db.create.setNodeVectorProperty(f, 'embedding', $embedding)
RETURN f.id AS id
