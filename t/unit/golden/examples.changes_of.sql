SELECT c.resource || ':' || c.action, fs_change_event(c) FROM change_log c WHERE c.xid = $1::xid8 ORDER BY c.seq
