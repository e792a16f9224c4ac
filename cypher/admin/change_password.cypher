// Rotate the connected user's password (`graphmem neo4j rotate-password`). Runs against the
// `system` database; both passwords travel as parameters.
// $old, $new
ALTER CURRENT USER SET PASSWORD FROM $old TO $new
