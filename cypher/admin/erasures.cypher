// Every erasure record, newest first (see admin/erasure_record).
MATCH (e:Erasure)
RETURN e {.*} AS erasure
ORDER BY e.at DESC
