UPDATE idempotency_keys SET status = $3::integer, body = $4 WHERE resource = $1 AND key = $2
