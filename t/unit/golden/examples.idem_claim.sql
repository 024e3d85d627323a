INSERT INTO idempotency_keys (resource, key, request_hash) VALUES ($1, $2, md5($3)) ON CONFLICT DO NOTHING RETURNING 1
