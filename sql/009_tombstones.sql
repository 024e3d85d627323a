-- 009: a deleted row stays deleted (issue 9).
--
-- Every delete leaves a tombstone: the table, the row's id and the seq of its change_log entry.
-- A POST of that id later is refused (409 deleted, naming the seq) instead of bringing the row
-- back, unless it carries the Idempotency-Key of the original create, whose stored answer wins.
-- Tombstones are kept when retention prunes the change log: an offline client may come back with
-- an old create months later. They are small (one uuid and two numbers a deleted row).

CREATE TABLE tombstones (
	resource text NOT NULL,
	row_id uuid NOT NULL,
	seq bigint NOT NULL,		-- the change_log entry of the delete
	deleted_at timestamptz NOT NULL,
	PRIMARY KEY (resource, row_id)
);

-- The deletes the change log still holds, for rows that do not exist now.
INSERT INTO tombstones (resource, row_id, seq, deleted_at)
SELECT DISTINCT ON (c.resource, c.row_id) c.resource, c.row_id, c.seq, c.changed_at
FROM change_log c WHERE c.action = 'delete'
ORDER BY c.resource, c.row_id, c.seq DESC;

-- As 007's, with the tombstone written beside the entry of a delete.
CREATE OR REPLACE FUNCTION fs_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	owner_col text := (SELECT t.owner_column FROM change_log_tables t WHERE t.name = TG_TABLE_NAME);
	r jsonb := to_jsonb(CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END);
	s bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(fs_change_log_lock_key());
	s := nextval('change_log_seq');
	INSERT INTO change_log (seq, resource, action, row_id, branch, data, changed_at, owner, actor)
	VALUES (s, TG_TABLE_NAME,
	        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
	        (r ->> 'id')::uuid, r ->> 'branch', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE r END,
	        clock_timestamp(), r ->> owner_col, fs_actor());
	IF TG_OP = 'DELETE' THEN
		INSERT INTO tombstones (resource, row_id, seq, deleted_at)
		VALUES (TG_TABLE_NAME, (r ->> 'id')::uuid, s, clock_timestamp())
		ON CONFLICT (resource, row_id) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at;
	END IF;
	RETURN NULL;
END
$$;
