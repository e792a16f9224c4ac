// Float16 copies for facts read by upgrade/facts_without_f16. A fact edited since (its
// updated_at moved: write/update_fact wrote its new vector and copy) is left alone.
// $rows: [{id, f16, stamp}]
UNWIND $rows AS row
MATCH (f:Fact {id: row.id})
WHERE coalesce(toString(f.updated_at), '') = row.stamp AND f[$f16_property] IS NULL
SET f[$f16_property] = row.f16
RETURN count(f) AS written
