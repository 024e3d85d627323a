#!/bin/bash
# Least privilege: the workers serve as a role that owns nothing (conf/fieldsync-app-role.sql
# grants it rows, not schema), while migrations run as the owner. As that role a worker
# creates, reads, changes and deletes rows (the change log, tombstones and idempotency keys
# included) and retention prunes; the role cannot create, alter or drop a table, nor record
# a migration; a table a later migration adds is granted by the default privileges. On a
# throw-away database and role, dropped at the end.

# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

MIGRATE=${FIELDSYNC_MIGRATE:-$FIELDSYNC_TOP/sql/fieldsync-migrate}
BIN=$FIELDSYNC_TOP/cgi-bin/clients.fcgi
GRANTS=$FIELDSYNC_TOP/conf/fieldsync-app-role.sql
[ -n "${DATABASE_URL:-}" ] || skip_all "DATABASE_URL is not set (run ./stack up)"
[ -x "$MIGRATE" ] && [ -x "$BIN" ] || bail_out "the binaries are not built"
[ "$(sql "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")" = t ] ||
	skip_all "the stack's role may not create roles"

tok=$(uniq_token)
DB=fieldsync_app_test_$tok APP=fieldsync_app_$tok
admin() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null 2>&1; }
cleanup() {
	admin "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
	admin "DROP ROLE IF EXISTS $APP"
}
trap cleanup EXIT

OWNER_URL=$(with_dbname "$DB" "$(sql 'SELECT current_user')")
APP_URL=$(with_dbname "$DB" "$APP")
as_owner() { psql "$OWNER_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
as_app() { psql "$APP_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }

admin "CREATE DATABASE $DB" || bail_out "cannot create $DB"
admin "CREATE ROLE $APP LOGIN" || bail_out "cannot create $APP"
"$MIGRATE" --database "$OWNER_URL" --dir "$FIELDSYNC_TOP/sql" >/dev/null 2>&1 || bail_out "cannot migrate $DB"
psql "$OWNER_URL" -X -q -v app="$APP" -f "$GRANTS" >/dev/null 2>"$FIELDSYNC_VAR/t1030.err"
ok $? "conf/fieldsync-app-role.sql grants the role what it needs" || diag "$(cat "$FIELDSYNC_VAR/t1030.err")"

# A session of an admin of DB, for the worker: a token whose hash is in sessions.
TOKEN=$(uniq_chars 43 abcdefghijklmnopqrstuvwxyz0123456789)
uid=$(as_owner "INSERT INTO users (login, name, password_hash) VALUES ('t1030', 'T', 'x') RETURNING id")
as_owner "INSERT INTO memberships (user_id, branch, role) VALUES ('$uid', '*', 'admin')" >/dev/null
as_owner "INSERT INTO sessions (token_hash, user_id, expires_at)
	VALUES (sha256(convert_to('$TOKEN', 'UTF8')), '$uid', now() + interval '1 day')" >/dev/null

# cgi METHOD QUERY [BODY]: clients.fcgi as plain CGI, connected as the app role; sets STATUS, BODY.
cgi() {
	local out len
	len=$(printf '%s' "${3-}" | wc -c)
	out=$(printf '%s' "${3-}" | env DATABASE_URL="$APP_URL" REQUEST_METHOD="$1" QUERY_STRING="$2" \
		HTTP_AUTHORIZATION="Bearer $TOKEN" CONTENT_TYPE=application/json CONTENT_LENGTH="$len" \
		timeout 10 "$BIN" 2>>"$FIELDSYNC_VAR/t1030.err")
	STATUS=$(printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1)
	BODY=$(printf '%s\n' "$out" | sed '1,/^\r\{0,1\}$/d')
}

cgi POST '' '{"branch":"t1030","name":"Served by the app role"}'
is "$STATUS" 201 "as the app role a worker creates a row" || diag "$BODY"
id=$(jq -r .id <<<"$BODY" 2>/dev/null)
cgi GET "id=$id"
is "$STATUS" 200 "... reads it"
cgi PUT '' "{\"id\":\"$id\",\"name\":\"Changed\",\"version\":1}"
is "$STATUS" 200 "... changes it" || diag "$BODY"
cgi DELETE "id=$id"
is "$STATUS" 204 "... deletes it (a tombstone is written)" || diag "$BODY"
is "$(as_owner "SELECT count(*) FROM change_log WHERE row_id = '$id'")" 3 "... every change in the change log"
like "$(as_app "SELECT fs_prune_change_log(interval '1000 days')")" '^[0-9]+$' "retention runs as the app role"

like "$(as_app "CREATE TABLE t1030 (a int)")" 'permission denied' "the app role cannot create a table"
like "$(as_app "ALTER TABLE clients ADD COLUMN t1030 int")" 'must be owner' "... nor alter one"
like "$(as_app "DROP TABLE clients")" 'must be owner' "... nor drop one"
like "$(as_app "INSERT INTO schema_migrations (version, name, checksum) VALUES ('999', 'x', 'x')")" \
	'permission denied' "... nor record a migration"
like "$(as_app "SELECT count(*) FROM schema_migrations")" '^[0-9]+$' "... which it reads (the workers check the schema)"

as_owner "CREATE TABLE t1030_later (a serial PRIMARY KEY)" >/dev/null
like "$(as_app "INSERT INTO t1030_later DEFAULT VALUES RETURNING a")" '^1$' \
	"a table a later migration creates is granted by the default privileges"

done_testing
