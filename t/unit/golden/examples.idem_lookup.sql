SELECT request_hash = md5($3), status, body FROM idempotency_keys WHERE resource = $1 AND key = $2
