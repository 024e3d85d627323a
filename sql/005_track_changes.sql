-- 005: the tables whose changes are logged, as data. The relay and the changes feed check a types=
-- filter against change_log_tables, so neither needs a list of resources of its own. A new resource's
-- migration creates its table and then only calls
--
--     SELECT fs_track_changes('its_table');
--
-- which creates the deferred change-log trigger (see 004 for why it is deferred) and registers the table.

CREATE TABLE change_log_tables (
	name text PRIMARY KEY		-- the table's name, as change_log.resource records it
);

-- Logs every change of table T in change_log and registers it; running it again changes nothing.
CREATE FUNCTION fs_track_changes(t regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tname text := (SELECT c.relname FROM pg_class c WHERE c.oid = t);
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t AND g.tgname = tname || '_change_log') THEN
		EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s'
		               ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fs_log_change()',
		               tname || '_change_log', t);
	END IF;
	INSERT INTO change_log_tables (name) VALUES (tname) ON CONFLICT DO NOTHING;
END
$$;

-- The eight tables of 000..002, whose triggers 004 created: this registers them.
SELECT fs_track_changes(t) FROM unnest(ARRAY['distributors', 'clients', 'appointments', 'stock_requests',
	'visits', 'campaigns', 'finance_cash_requests', 'leave_requests']::regclass[]) t;
