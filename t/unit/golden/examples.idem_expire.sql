DELETE FROM idempotency_keys WHERE resource = $1 AND key = $2 AND created_at < now() - make_interval(secs => $3::double precision)
