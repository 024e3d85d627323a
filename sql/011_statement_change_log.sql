-- 011: the change log written set-based (issue 11). 004's deferred row trigger ran one PL/pgSQL call,
-- one advisory-lock request and one insert per changed row at COMMIT: about 70 ms for a 1000-row
-- batch. Now each statement logs all its rows in one insert, from its transition table, and each
-- transaction numbers its entries once, at COMMIT.
--
-- The safe cursor (see 004) is kept. A statement's entries take provisional seqs from
-- change_log_seq as they are written. The transaction's first logging statement also inserts one
-- row into change_log_pending, whose deferred constraint trigger runs once as the transaction
-- commits: it takes the change log's lock, and keeps the provisional seqs only when no other
-- number was handed out within or after them (they are contiguous and the sequence's last value
-- is their highest). Then every entry committed before has a lower seq (all numbers handed out
-- are at most that highest one, and none lies within the span), and every later committer, under
-- the same lock, sees a last value past its own entries unless they come after ours. Otherwise
-- (another transaction took a number meanwhile) the entries are renumbered under the lock, in
-- their order, as 004 numbered them. A single writer, the common case, pays no renumbering.
-- change_log_seq must keep CACHE 1: a session's cached numbers would not follow time.
--
-- After SET CONSTRAINTS ALL IMMEDIATE (what the workers run before COMMIT) numbering happens at
-- once; entries written later in the same transaction are numbered again at their statement's
-- end (fieldsync.log_through: the highest seq already numbered, below every later provisional one).

-- One row per transaction with entries not yet numbered; a committed transaction has removed its
-- own. Unlogged: only open transactions ever hold rows here.
CREATE UNLOGGED TABLE change_log_pending (
	xid xid8 PRIMARY KEY DEFAULT pg_current_xact_id()
);

-- Logs the rows of one statement (an AFTER ... FOR EACH STATEMENT trigger with a transition
-- table: new_rows for inserts and updates, old_rows for deletes), in the order they were written.
CREATE FUNCTION fs_log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	owner_col text := (SELECT t.owner_column FROM change_log_tables t WHERE t.name = TG_TABLE_NAME);
	who uuid := fs_actor();
	n bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN
		WITH logged AS (
			INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at, owner, actor)
			SELECT nextval('change_log_seq'), TG_TABLE_NAME, 'delete', o.id, o.branch, NULL,
			       clock_timestamp(), CASE WHEN owner_col IS NOT NULL THEN to_jsonb(o) ->> owner_col END, who
			FROM old_rows o
			RETURNING seq, row_id, changed_at
		)
		INSERT INTO tombstones (resource, row_id, seq, deleted_at)
		SELECT TG_TABLE_NAME, l.row_id, l.seq, l.changed_at FROM logged l
		ON CONFLICT (resource, row_id) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at;
	ELSE
		INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at, owner, actor)
		SELECT nextval('change_log_seq'), TG_TABLE_NAME, CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'update' END,
		       (r.j ->> 'id')::uuid, r.j ->> 'branch', r.j, clock_timestamp(), r.j ->> owner_col, who
		FROM (SELECT to_jsonb(x) AS j FROM new_rows x) r;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 AND current_setting('fieldsync.log_pending', true) IS DISTINCT FROM 'on' THEN
		PERFORM set_config('fieldsync.log_pending', 'on', true);
		INSERT INTO change_log_pending DEFAULT VALUES ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END
$$;

-- Numbers the transaction's entries not yet numbered (see above); runs once per transaction, at
-- COMMIT or at SET CONSTRAINTS ALL IMMEDIATE, and holds the change log's lock until the end.
CREATE FUNCTION fs_number_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	me xid8 := pg_current_xact_id();
	through bigint := coalesce(nullif(current_setting('fieldsync.log_through', true), '')::bigint, 0);
	n bigint;
	lo bigint;
	hi bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(fs_change_log_lock_key());
	SELECT count(*), min(c.seq), max(c.seq) INTO n, lo, hi
	FROM change_log c WHERE c.xid = me AND c.seq > through;
	IF n > 0 AND (hi - lo + 1 <> n OR hi IS DISTINCT FROM pg_sequence_last_value('change_log_seq')) THEN
		WITH m AS (
			-- ORDER BY in the subquery keeps it from being flattened: numbers follow the old order.
			SELECT s.seq AS old, nextval('change_log_seq') AS new
			FROM (SELECT c.seq FROM change_log c WHERE c.xid = me AND c.seq > through ORDER BY c.seq) s
		), moved AS (
			UPDATE change_log c SET seq = m.new FROM m WHERE c.seq = m.old
			RETURNING c.resource, c.row_id, c.action, m.old, m.new
		)
		UPDATE tombstones t SET seq = moved.new FROM moved
		WHERE moved.action = 'delete' AND t.resource = moved.resource AND t.row_id = moved.row_id
		  AND t.seq = moved.old;
		hi := currval('change_log_seq');
	END IF;
	IF n > 0 THEN
		PERFORM set_config('fieldsync.log_through', hi::text, true);
	END IF;
	PERFORM set_config('fieldsync.log_pending', '', true);
	DELETE FROM change_log_pending WHERE xid = me;
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER change_log_pending_number AFTER INSERT ON change_log_pending
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fs_number_changes();

-- The three statement triggers that log table T, named T_log_inserts, _updates, _deletes.
CREATE FUNCTION fs_create_log_triggers(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tname text := (SELECT c.relname FROM pg_class c WHERE c.oid = t);
	kind record;
BEGIN
	FOR kind IN SELECT * FROM (VALUES ('inserts', 'INSERT', 'NEW TABLE AS new_rows'),
	                                  ('updates', 'UPDATE', 'NEW TABLE AS new_rows'),
	                                  ('deletes', 'DELETE', 'OLD TABLE AS old_rows')) k(suffix, event, ref) LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t
		               AND g.tgname = tname || '_log_' || kind.suffix) THEN
			EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s'
			               ' FOR EACH STATEMENT EXECUTE FUNCTION fs_log_changes()',
			               tname || '_log_' || kind.suffix, kind.event, t, kind.ref);
		END IF;
	END LOOP;
END
$$;

-- As 007's, with the statement triggers instead of the row trigger.
CREATE OR REPLACE FUNCTION fs_track_changes(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tname text := (SELECT c.relname FROM pg_class c WHERE c.oid = t);
BEGIN
	PERFORM fs_create_log_triggers(t);
	EXECUTE format('ALTER TABLE %s ADD COLUMN IF NOT EXISTS created_by uuid,'
	               ' ADD COLUMN IF NOT EXISTS updated_by uuid', t);
	IF NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t AND g.tgname = tname || '_actor') THEN
		EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s'
		               ' FOR EACH ROW EXECUTE FUNCTION fs_stamp_actor()', tname || '_actor', t);
	END IF;
	INSERT INTO change_log_tables (name) VALUES (tname) ON CONFLICT DO NOTHING;
END
$$;

-- Every tracked table moves to the new triggers; the row trigger and its function go.
DO $$
DECLARE
	t regclass;
BEGIN
	FOR t IN SELECT name::regclass FROM change_log_tables LOOP
		EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', (SELECT c.relname FROM pg_class c WHERE c.oid = t)
		               || '_change_log', t);
		PERFORM fs_create_log_triggers(t);
	END LOOP;
END
$$;
DROP FUNCTION fs_log_change();
