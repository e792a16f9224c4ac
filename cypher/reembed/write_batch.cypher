// One re-embedded batch and its checkpoint, in one transaction: a kill loses at most the
// batch in flight, and a resumed job never embeds a committed batch again (its nodes now
// have the target vector, and the cursor is past them). A node whose text (a fact) or name
// (an entity) changed since the batch read it keeps no stale vector: it stays pending for
// the next sweep (write/update_fact clears every slot but the active one).
// $label ('Fact' or 'Entity'), $rows: [{id, text, vector, f16 (a fact's vector as float16
// bytes, store/vectors.py)}], $target_property, $target_f16_property, $after (the
// batch's last id), $next_label (where the sweep goes on: 'Fact', 'Entity', or null when
// this batch ended it)
CALL (*) {
  UNWIND $rows AS row
  MATCH (f:Fact {id: row.id})
  WHERE $label = 'Fact' AND f.text = row.text
  CALL db.create.setNodeVectorProperty(f, $target_property, row.vector)
  SET f[$target_f16_property] = row.f16
  RETURN count(f) AS facts
}
CALL (*) {
  UNWIND $rows AS row
  MATCH (e:Entity {id: row.id})
  WHERE $label = 'Entity' AND e.name = row.text
  CALL db.create.setNodeVectorProperty(e, $target_property, row.vector)
  RETURN count(e) AS entities
}
MATCH (j:ReembedJob {key: 'graphmem'})
SET j.batches = j.batches + CASE WHEN size($rows) > 0 THEN 1 ELSE 0 END,
    j.nodes = j.nodes + facts + entities,
    j.sweep_nodes = j.sweep_nodes + facts + entities,
    j.label = $next_label, j.after = $after, j.updated_at = datetime()
RETURN j {.*} AS job
