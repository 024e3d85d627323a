-- 003: the Idempotency-Key store. A write stores its first response here in its own transaction, so a
-- repeat of the key returns that response instead of applying again. Keys are scoped per resource.

CREATE TABLE idempotency_keys (
	resource text NOT NULL,
	key text NOT NULL,
	-- a digest of method, query and body: the same key with a different request is refused (422)
	request_hash text NOT NULL,
	status integer,
	body text,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (resource, key)
);

-- expired keys are purged by age (idempotency_ttl)
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
