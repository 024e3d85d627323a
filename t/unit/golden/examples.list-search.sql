SELECT t.*, t.seen_at::text || '|' || t.id::text FROM examples t WHERE (t.name ILIKE $2::text OR t.status ILIKE $2::text) ORDER BY t.seen_at DESC, t.id DESC LIMIT $1::integer + 1
