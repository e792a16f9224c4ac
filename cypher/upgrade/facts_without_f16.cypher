// The next facts after $after (in id order) whose vector in the active slot has no float16
// copy (store/vectors.py): facts written before graphmem kept one. graphmem upgrade writes
// their copies (upgrade/write_f16); recall reads such facts' vectors as before meanwhile.
// $after, $batch_size
MATCH (f:Fact)
WHERE f.id > $after AND f[$vector_property] IS NOT NULL AND f[$f16_property] IS NULL
WITH f ORDER BY f.id LIMIT $batch_size
// `stamp`: when it was last edited, as text (upgrade/write_f16 compares it).
RETURN f.id AS id, f[$vector_property] AS vector, coalesce(toString(f.updated_at), '') AS stamp
