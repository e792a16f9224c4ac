// The record an erasure leaves: when, who asked, a salted hash of the scope asked for and
// counts of what was removed. No id, name or text of the scope: the hash can only confirm a
// scope someone already names (graphmem erasures --user X). Written in the transaction
// that removes the last of the scope.
// $record: {id, scope_hash, salt, scope_fields, requester, relations, facts,
//           superseded_facts, entities, episodes, changes, scopes}
CREATE (e:Erasure)
SET e = $record, e.at = datetime()
RETURN e {.*} AS erasure
