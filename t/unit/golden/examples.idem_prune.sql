DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1::double precision)
