SELECT c.resource || ':' || c.action, c.seq::text FROM change_log c WHERE c.xid = $1::xid8 ORDER BY c.seq
