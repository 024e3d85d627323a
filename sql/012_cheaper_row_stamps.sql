-- 012: what every written row costs, made smaller (issue 11). Measured on a 1000-row INSERT ... SELECT
-- into clients (bench/README, "Bulk writes"): 011's statement trigger spent most of its time making
-- each row's JSON four times, and the actor stamp was a PL/pgSQL call per row.
--
-- 1. fs_log_changes: 011 read id, branch and owner out of (SELECT to_jsonb(x) AS j FROM new_rows x);
--    the planner inlines that subquery, so each r.j became its own to_jsonb(x) call. Now id and
--    branch are read from the row itself, and OFFSET 0 keeps the subquery whole: one to_jsonb a row.
--
-- 2. created_by and updated_by: column defaults fs_actor(), so an insert that does not name them
--    (every insert the workers make, and most made with psql) gets the actor without any trigger
--    call. The BEFORE INSERT trigger stays for the other inserts: its WHEN condition, evaluated
--    by the executor without calling PL/pgSQL, fires it only when a writer set either column to
--    something else. Updates keep a trigger of their own (WHEN cannot see OLD on an insert):
--    created_by stays, updated_by becomes the actor, as before, and it too fires only when the
--    new row says otherwise. Whatever a writer sends, the stored values are the same as 007's.

CREATE OR REPLACE FUNCTION fs_log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
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
		-- OFFSET 0: the subquery is not inlined, so to_jsonb runs once per row, in the rows' order.
		INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at, owner, actor)
		SELECT nextval('change_log_seq'), TG_TABLE_NAME, CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'update' END,
		       r.id, r.branch, r.j, clock_timestamp(), r.j ->> owner_col, who
		FROM (SELECT x.id, x.branch, to_jsonb(x) AS j FROM new_rows x OFFSET 0) r;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 AND current_setting('fieldsync.log_pending', true) IS DISTINCT FROM 'on' THEN
		PERFORM set_config('fieldsync.log_pending', 'on', true);
		INSERT INTO change_log_pending DEFAULT VALUES ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END
$$;

-- The actor's defaults and its two triggers on table T: T_actor (inserts) and T_actor_update.
CREATE FUNCTION fs_create_actor_stamps(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tname text := (SELECT c.relname FROM pg_class c WHERE c.oid = t);
BEGIN
	EXECUTE format('ALTER TABLE %s ADD COLUMN IF NOT EXISTS created_by uuid,'
	               ' ADD COLUMN IF NOT EXISTS updated_by uuid,'
	               ' ALTER COLUMN created_by SET DEFAULT fs_actor(),'
	               ' ALTER COLUMN updated_by SET DEFAULT fs_actor()', t);
	IF NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t AND g.tgname = tname || '_actor_update') THEN
		EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', tname || '_actor', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %s FOR EACH ROW'
		               ' WHEN (NEW.created_by IS DISTINCT FROM fs_actor()'
		               ' OR NEW.updated_by IS DISTINCT FROM fs_actor())'
		               ' EXECUTE FUNCTION fs_stamp_actor()', tname || '_actor', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW'
		               ' WHEN (NEW.created_by IS DISTINCT FROM OLD.created_by'
		               ' OR NEW.updated_by IS DISTINCT FROM fs_actor())'
		               ' EXECUTE FUNCTION fs_stamp_actor()', tname || '_actor_update', t);
	END IF;
END
$$;

-- As 011's, with the actor's defaults and guarded triggers.
CREATE OR REPLACE FUNCTION fs_track_changes(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tname text := (SELECT c.relname FROM pg_class c WHERE c.oid = t);
BEGIN
	PERFORM fs_create_log_triggers(t);
	PERFORM fs_create_actor_stamps(t);
	INSERT INTO change_log_tables (name) VALUES (tname) ON CONFLICT DO NOTHING;
END
$$;

SELECT fs_create_actor_stamps(name::regclass) FROM change_log_tables;
