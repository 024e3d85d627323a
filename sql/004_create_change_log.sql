-- 004: the change log. Every committed create, update and delete of a resource row appends one entry,
-- in the same transaction, by trigger (so writes made with psql are logged too). Events on nanomsg are
-- only the fast path; this table is what a client that was away, or a relay that missed a message,
-- reads to catch up. A delete keeps the row's id and branch (a tombstone) so offline caches learn of it.
--
-- The safe cursor. A reader that has seen seq N must never later find a committed entry below N.
-- A sequence hands out numbers when called, and transactions commit in any order, so numbers taken
-- while the row is written could become visible out of order. Here the number is taken at COMMIT
-- instead: the triggers are deferred constraint triggers, which run as the transaction commits, and
-- each first takes one transaction-scoped advisory lock. The lock is held until the commit is
-- complete and visible, so committers take their numbers one at a time, in commit order: when seq N
-- is visible, every lower seq is already committed (or was rolled back and never will be). Only the
-- logging step at the end of a write is serialised; the writes themselves run concurrently.

CREATE SEQUENCE change_log_seq;

CREATE TABLE change_log (
	seq bigint PRIMARY KEY,
	resource text NOT NULL,
	action text NOT NULL CONSTRAINT change_log_action_check CHECK (action IN ('create', 'update', 'delete')),
	row_id uuid NOT NULL,
	branch text NOT NULL,
	data jsonb,			-- the row after the change; null for a delete
	changed_at timestamptz NOT NULL,
	xid xid8 NOT NULL DEFAULT pg_current_xact_id()	-- lets a worker find its own entries after COMMIT
);

CREATE INDEX change_log_xid_idx ON change_log (xid);
CREATE INDEX change_log_changed_at_idx ON change_log (changed_at);

-- Everything at or below pruned_through has been deleted by retention: a reader asking for changes
-- after an older seq must reload instead (410 on the feed, a reload event on the stream).
CREATE TABLE change_log_horizon (
	only_row boolean PRIMARY KEY DEFAULT true CONSTRAINT change_log_horizon_only_row_check CHECK (only_row),
	pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO change_log_horizon DEFAULT VALUES;

-- The lock that orders committers (an arbitrary constant, used nowhere else).
CREATE FUNCTION fs_change_log_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 4242020501 $$;

CREATE FUNCTION fs_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(fs_change_log_lock_key());
	IF TG_OP = 'DELETE' THEN
		INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at)
		VALUES (nextval('change_log_seq'), TG_TABLE_NAME, 'delete', OLD.id, OLD.branch, NULL,
		        clock_timestamp());
	ELSE
		INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at)
		VALUES (nextval('change_log_seq'), TG_TABLE_NAME,
		        CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'update' END, NEW.id, NEW.branch,
		        to_jsonb(NEW), clock_timestamp());
	END IF;
	RETURN NULL;
END
$$;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['distributors', 'clients', 'appointments', 'stock_requests', 'visits',
	                         'campaigns', 'finance_cash_requests', 'leave_requests'] LOOP
		EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I'
		               ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fs_log_change()',
		               t || '_change_log', t);
	END LOOP;
END
$$;

-- One entry as the event payload every reader sends: {"seq", "type", "id", "branch", "data", "at"}.
CREATE FUNCTION fs_change_event(c change_log) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT json_build_object('seq', c.seq, 'type', c.resource || ':' || c.action, 'id', c.row_id,
	                         'branch', c.branch, 'data', c.data, 'at', c.changed_at)::text
$$;

-- Retention: deletes entries older than KEEP and moves the horizon; returns how many went.
CREATE FUNCTION fs_prune_change_log(keep interval) RETURNS bigint LANGUAGE sql AS $$
	WITH gone AS (
		DELETE FROM change_log WHERE changed_at < now() - keep RETURNING seq
	), moved AS (
		UPDATE change_log_horizon SET pruned_through = greatest(pruned_through, (SELECT max(seq) FROM gone))
		WHERE EXISTS (SELECT 1 FROM gone)
	)
	SELECT count(*) FROM gone
$$;
