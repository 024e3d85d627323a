-- The role the workers and the relay connect as: it reads and writes rows, never the schema
-- (it owns no table, so it can neither alter nor drop one, nor record a migration). Run by
-- the role that owns the tables, the one fieldsync-migrate connects as, once after the first
-- migration; tables and sequences that later migrations of that role create are granted by
-- the default privileges set here:
--   psql "$OWNER_URL" -v app=fieldsync_app -f fieldsync-app-role.sql
\set ON_ERROR_STOP on
GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM :"app";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app";
