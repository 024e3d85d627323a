SELECT t.*, t.seen_at::text || '|' || t.id::text FROM examples t ORDER BY t.seen_at DESC, t.id DESC LIMIT $1::integer + 1
