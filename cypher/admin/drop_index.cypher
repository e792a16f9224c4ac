// Drop one of graphmem's indexes by name (a vector slot's, after re-embedding switched away).
// $name
DROP INDEX $name IF EXISTS
