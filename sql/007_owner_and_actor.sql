-- 007: who a row is of, and who did what (issue 8).
--
-- Rows carry created_by and updated_by, and every change_log entry its actor: the user id the
-- worker sets for its transaction (SET LOCAL fieldsync.actor); a change made with psql has none.
-- change_log also keeps the row's owner (the user named by the resource's owner column, e.g.
-- leave_requests.employee), for deletes too, so that a tombstone is shown only to whoever may
-- see the row it was: permissions filter the log on branch and owner without reading data.
--
-- Which column is the owner is declared with the resource in C (cgi-bin/<name>.c, .owner); its
-- workers record it, and the whole declaration (its --describe, grants included), in
-- change_log_tables when they connect, so the database, the feed and the relay learn it from
-- the one declaration. A table no worker has described yet has no owner: its tombstones are
-- then shown only to those who may see every row of the branch.

ALTER TABLE change_log ADD COLUMN owner text, ADD COLUMN actor uuid;

ALTER TABLE change_log_tables
	ADD COLUMN owner_column text,	-- as the resource's declaration names it; NULL: rows have no owner
	ADD COLUMN declaration jsonb;	-- the resource's --describe, as its workers last recorded it

-- The actor of the current transaction, or NULL (psql, or a worker that set none).
CREATE FUNCTION fs_actor() RETURNS uuid LANGUAGE sql STABLE AS $$
	SELECT nullif(current_setting('fieldsync.actor', true), '')::uuid
$$;

CREATE OR REPLACE FUNCTION fs_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	owner_col text := (SELECT t.owner_column FROM change_log_tables t WHERE t.name = TG_TABLE_NAME);
	r jsonb := to_jsonb(CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END);
BEGIN
	PERFORM pg_advisory_xact_lock(fs_change_log_lock_key());
	INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at, owner, actor)
	VALUES (nextval('change_log_seq'), TG_TABLE_NAME,
	        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
	        (r ->> 'id')::uuid, r ->> 'branch', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE r END,
	        clock_timestamp(), r ->> owner_col, fs_actor());
	RETURN NULL;
END
$$;

-- created_by and updated_by are the server's: whatever a client sent, the actor is written.
CREATE FUNCTION fs_stamp_actor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		NEW.created_by := fs_actor();
	ELSE
		NEW.created_by := OLD.created_by;
	END IF;
	NEW.updated_by := fs_actor();
	RETURN NEW;
END
$$;

-- fs_track_changes now also adds created_by and updated_by and their trigger.
CREATE OR REPLACE FUNCTION fs_track_changes(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tname text := (SELECT c.relname FROM pg_class c WHERE c.oid = t);
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t AND g.tgname = tname || '_change_log') THEN
		EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s'
		               ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fs_log_change()',
		               tname || '_change_log', t);
	END IF;
	EXECUTE format('ALTER TABLE %s ADD COLUMN IF NOT EXISTS created_by uuid,'
	               ' ADD COLUMN IF NOT EXISTS updated_by uuid', t);
	IF NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t AND g.tgname = tname || '_actor') THEN
		EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s'
		               ' FOR EACH ROW EXECUTE FUNCTION fs_stamp_actor()', tname || '_actor', t);
	END IF;
	INSERT INTO change_log_tables (name) VALUES (tname) ON CONFLICT DO NOTHING;
END
$$;

SELECT fs_track_changes(name::regclass) FROM change_log_tables;
