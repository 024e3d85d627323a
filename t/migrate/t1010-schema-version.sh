#!/bin/bash
# A worker serves only the schema it was built for (the last migration of sql/): started
# against a database that is behind, it answers 503 schema_outdated and says so in its
# log, instead of "database unavailable"; once the database is migrated it serves without
# a restart; a database migrated further than it knows (binaries rolled back) is 503
# schema_newer. On a throw-away database next to the stack's, dropped at the end.

# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

MIGRATE=${FIELDSYNC_MIGRATE:-$FIELDSYNC_TOP/sql/fieldsync-migrate}
BIN=$FIELDSYNC_TOP/cgi-bin/clients.fcgi
[ -n "${DATABASE_URL:-}" ] || skip_all "DATABASE_URL is not set (run ./stack up)"
[ -x "$MIGRATE" ] && [ -x "$BIN" ] || bail_out "the binaries are not built"

DB=fieldsync_schema_test_$(uniq_token)
work=$(mktemp -d)
admin() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }
cleanup() { admin "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$work"; }
trap cleanup EXIT

# The stack's URL aimed at DB (the last dbname setting wins, in a URI's query too).
URL=$(with_dbname "$DB")

last=$(basename "$(printf '%s\n' "$FIELDSYNC_TOP"/sql/[0-9][0-9][0-9]_*.sql | sort | tail -n 1)")
version=${last%%_*}
mkdir "$work/sql"
for f in "$FIELDSYNC_TOP"/sql/[0-9][0-9][0-9]_*.sql; do
	[ "$(basename "$f")" = "$last" ] || cp "$f" "$work/sql/"
done
admin "CREATE DATABASE $DB"
"$MIGRATE" --database "$URL" --dir "$work/sql" >/dev/null 2>&1 || bail_out "cannot migrate $DB up to before $last"

# get: GET /api/clients as plain CGI against DB, with a session token to look up (so the
# worker asks the database); sets STATUS, CODE and LOG (its stderr).
get() {
	local out
	out=$(env DATABASE_URL="$URL" REQUEST_METHOD=GET QUERY_STRING=limit=1 \
		HTTP_AUTHORIZATION="Bearer $(uniq_chars 43 abcdefghijklmnopqrstuvwxyz0123456789)" \
		timeout 10 "$BIN" 2>"$work/log")
	STATUS=$(printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1)
	CODE=$(printf '%s\n' "$out" | sed '1,/^\r\{0,1\}$/d' | jq -r '.error.code // empty' 2>/dev/null)
	LOG=$(cat "$work/log")
}

get
is "$STATUS $CODE" "503 schema_outdated" "a database one migration behind: 503 schema_outdated"
like "$LOG" "schema is at [0-9]+, this build needs $version: run fieldsync-migrate" "... and the log says what to do"

"$MIGRATE" --database "$URL" --dir "$FIELDSYNC_TOP/sql" >/dev/null 2>&1 || bail_out "cannot migrate $DB"
get
is "$STATUS $CODE" "401 unauthenticated" "once migrated it serves (the unknown session is a 401), no restart needed"

psql "$URL" -X -q -v ON_ERROR_STOP=1 -c \
	"INSERT INTO schema_migrations (version, name, checksum) VALUES ('999', 'from_the_future', 'x')" >/dev/null
get
is "$STATUS $CODE" "503 schema_newer" "a database migrated further than the build knows: 503 schema_newer"
like "$LOG" "schema is at 999, newer than this build knows \\($version\\)" "... and the log says so"

done_testing
