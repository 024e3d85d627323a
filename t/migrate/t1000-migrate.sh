#!/bin/bash
# The migration runner (sql/fieldsync-migrate) and the schema's constraint-name contract, on throw-away
# databases created next to the stack's database and dropped at the end: never the stack's own.

# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

BIN=${FIELDSYNC_MIGRATE:-$FIELDSYNC_TOP/sql/fieldsync-migrate}
SRC_SQL=$FIELDSYNC_TOP/sql

[ -n "${DATABASE_URL:-}" ] || skip_all "DATABASE_URL is not set (run ./stack up)"
[ -x "$BIN" ] || bail_out "$BIN is not built"

DB=fieldsync_migrate_test_$(uniq_token)
DB2=${DB}_b
work=$(mktemp -d)

# admin SQL: run SQL on the stack's server, through the stack's own database (CREATE/DROP DATABASE only).
admin() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }

cleanup() {
	admin "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
	admin "DROP DATABASE IF EXISTS $DB2 WITH (FORCE)"
	rm -rf "$work"
}
trap cleanup EXIT

# tsql URL QUERY: run QUERY on the database of URL, unaligned, tuples only.
tsql() { psql "$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"; }

# migrate URL DIR [ARGS...]: run the runner; sets OUT, ERR and RC.
migrate() {
	local url=$1 dir=$2
	shift 2
	OUT=$("$BIN" --database "$url" --dir "$dir" "$@" 2>"$work/err")
	RC=$?
	ERR=$(cat "$work/err")
}

if ! admin "CREATE DATABASE $DB" || ! admin "CREATE DATABASE $DB2"; then
	skip_all "cannot create a throw-away database on the server of DATABASE_URL"
fi
URL=$(with_dbname "$DB")
URL2=$(with_dbname "$DB2")
for pair in "$URL $DB" "$URL2 $DB2"; do
	got=$(tsql "${pair% *}" 'SELECT current_database()')
	[ "$got" = "${pair##* }" ] || bail_out "could not aim DATABASE_URL at ${pair##* } (got '$got')"
done

# A private copy of the migrations, so files can be added, edited and removed.
mkdir "$work/sql"
cp "$SRC_SQL"/[0-9][0-9][0-9]_*.sql "$work/sql/"
files=()
for f in "$work"/sql/*.sql; do files+=("$(basename "$f")"); done
nfiles=${#files[@]}
[ "$nfiles" -ge 4 ] || bail_out "expected the migrations in $SRC_SQL, found $nfiles"

# ---- usage

out=$(env -u DATABASE_URL "$BIN" --dir "$work/sql" 2>&1)
is "$?" 2 "no DATABASE_URL and no --database: exit 2"
like "$out" 'DATABASE_URL' "... with a message naming DATABASE_URL"
out=$("$BIN" --help)
is "$?" 0 "--help: exit 0"
like "$out" '^usage: fieldsync-migrate' "... and prints the usage"
"$BIN" --no-such-option >/dev/null 2>&1
is "$?" 2 "an unknown option: exit 2"

# ---- a fresh database

migrate "$URL" "$work/sql"
is "$RC" 0 "fresh database: exit 0"
is "$OUT" "$(printf 'applied %s\n' "${files[@]}")" "... prints 'applied FILE' for every file, in order"
is "$(tsql "$URL" 'SELECT count(*) FROM schema_migrations')" "$nfiles" "... records every file"
expected=$(cd "$work/sql" && for f in "${files[@]}"; do
	n=${f%.sql}
	printf '%s|%s|%s\n' "${f:0:3}" "${n:4}" "$(sha256sum "$f" | cut -c1-64)"
done)
is "$(tsql "$URL" 'SELECT version, name, checksum FROM schema_migrations ORDER BY version')" "$expected" \
	"... with its version, name and the sha256 of its bytes"
is "$(tsql "$URL" "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN
	('distributors', 'clients', 'appointments', 'stock_requests', 'visits', 'campaigns',
	 'finance_cash_requests', 'leave_requests', 'idempotency_keys')")" 9 "... and creates the nine tables"

migrate "$URL" "$work/sql"
is "$RC" 0 "second run: exit 0"
is "$OUT" "up to date" "... says up to date"
is "$(tsql "$URL" 'SELECT count(*) FROM schema_migrations')" "$nfiles" "... and records nothing more"

# ---- --status, and a new file

printf -- '-- a later migration\nCREATE TABLE migrate_extra (id integer);\n' >"$work/sql/900_extra.sql"
migrate "$URL" "$work/sql" --status
is "$RC" 0 "--status: exit 0"
applied_lines=$(printf '%s\n' "$OUT" | grep -cE '^applied [0-9]{3} [^ ]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$')
is "$applied_lines" "$nfiles" "... lists each applied file as 'applied VERSION NAME APPLIED_AT'"
is "$(printf '%s\n' "$OUT" | tail -n 1)" "pending 900 extra" "... and the new one as 'pending VERSION NAME'"
is "$(tsql "$URL" "SELECT to_regclass('migrate_extra') IS NULL")" t "... and applies nothing"

migrate "$URL" "$work/sql"
is "$RC:$OUT" "0:applied 900_extra.sql" "a new file: only it is applied"
is "$(tsql "$URL" "SELECT count(*) FROM schema_migrations WHERE version = '900' AND name = 'extra'")" 1 \
	"... and recorded"

# ---- drift: a changed or missing applied file

first=${files[0]}
cp "$work/sql/$first" "$work/first.orig"
echo '-- edited after it was applied' >>"$work/sql/$first"
printf 'CREATE TABLE migrate_after (id integer);\n' >"$work/sql/901_after.sql"
migrate "$URL" "$work/sql"
is "$RC" 1 "an applied file changed: exit 1"
like "$ERR" "$first.*changed" "... naming the file"
is "$(tsql "$URL" "SELECT to_regclass('migrate_after') IS NULL AND
	NOT EXISTS (SELECT FROM schema_migrations WHERE version = '901')")" t "... and applies nothing"
migrate "$URL" "$work/sql" --status
like "$OUT" "changed ${first:0:3} " "... --status shows it as changed"
cp "$work/first.orig" "$work/sql/$first"
rm "$work/sql/901_after.sql"

mv "$work/sql/900_extra.sql" "$work/extra.sql"
migrate "$URL" "$work/sql"
is "$RC" 1 "an applied file missing: exit 1"
like "$ERR" '900_extra\.sql' "... naming the file"
mv "$work/extra.sql" "$work/sql/900_extra.sql"

# ---- a failing migration rolls back

printf 'CREATE TABLE migrate_broken (id integer);\nSELECT 1 / 0;\n' >"$work/sql/901_broken.sql"
migrate "$URL" "$work/sql"
[ "$RC" -ne 0 ]
ok $? "a failing file: non-zero exit"
like "$ERR" '901_broken\.sql.*division by zero' "... prints the file and PostgreSQL's message"
is "$(tsql "$URL" "SELECT to_regclass('migrate_broken') IS NULL")" t "... its table is not created"
is "$(tsql "$URL" "SELECT count(*) FROM schema_migrations WHERE version = '901'")" 0 "... and it is not recorded"
rm "$work/sql/901_broken.sql"

# ---- two concurrent runs on a fresh database

# The slow last file keeps the first run holding the lock while the second starts.
mkdir "$work/conc"
cp "$SRC_SQL"/[0-9][0-9][0-9]_*.sql "$work/conc/"
printf 'SELECT pg_sleep(1);\n' >"$work/conc/999_slow.sql"
nconc=$((nfiles + 1))
"$BIN" --database "$URL2" --dir "$work/conc" >"$work/c1.out" 2>"$work/c1.err" &
p1=$!
"$BIN" --database "$URL2" --dir "$work/conc" >"$work/c2.out" 2>"$work/c2.err" &
p2=$!
wait "$p1"
rc1=$?
wait "$p2"
rc2=$?
is "$rc1 $rc2" "0 0" "two concurrent runs: both exit 0" || diag "$(cat "$work/c1.err" "$work/c2.err")"
is "$(cat "$work/c1.out" "$work/c2.out" | grep -c '^applied ')" "$nconc" "... between them apply each file once"
is "$(cat "$work/c1.out" "$work/c2.out" | grep -c '^up to date$')" 1 "... the second finds nothing to do"
is "$(tsql "$URL2" 'SELECT count(*), count(DISTINCT version) FROM schema_migrations')" "$nconc|$nconc" \
	"... and each file is recorded exactly once"

# ---- the constraint-name contract (the API maps a violated constraint back to its field by name)

tsql "$URL" "CREATE FUNCTION violated(stmt text) RETURNS text LANGUAGE plpgsql AS \$f\$
DECLARE state text; cons text; col text;
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, cons = CONSTRAINT_NAME, col = COLUMN_NAME;
	RETURN state || ' ' || coalesce(nullif(cons, ''), col);
END \$f\$" >/dev/null

D=11111111-1111-4111-8111-111111111111
C=22222222-2222-4222-8222-222222222222
X=33333333-3333-4333-8333-333333333333
item='{"sku": "A1", "name": "Soap", "quantity": 2}'
while IFS='|' read -r expected stmt; do
	[ -n "$expected" ] || continue
	is "$(tsql "$URL" "SELECT violated(\$s\$$stmt\$s\$)")" "$expected" "$expected: $stmt"
done <<EOF
ok|INSERT INTO distributors (id, branch, name, code, email, agreement_data) VALUES ('$D', 'north', 'Acme', 'AC1', 'a@b.co', '{"tier": 1}')
23514 distributors_branch_check|INSERT INTO distributors (branch, name) VALUES ('', 'x')
23502 name|INSERT INTO distributors (branch) VALUES ('north')
23505 distributors_code_key|INSERT INTO distributors (branch, name, code) VALUES ('north', 'y', 'AC1')
23514 distributors_email_check|INSERT INTO distributors (branch, name, email) VALUES ('north', 'y', 'no-at-sign')
23514 distributors_status_check|INSERT INTO distributors (branch, name, status) VALUES ('north', 'y', 'gone')
23514 distributors_agreement_data_check|INSERT INTO distributors (branch, name, agreement_data) VALUES ('north', 'y', '[1]')
ok|INSERT INTO clients (id, branch, name, distributor_id, email) VALUES ('$C', 'north', 'Shop', '$D', 's@x.io')
23514 clients_branch_check|INSERT INTO clients (branch, name) VALUES ('', 'x')
23503 clients_distributor_id_fkey|INSERT INTO clients (branch, name, distributor_id) VALUES ('north', 'x', '$X')
23514 clients_email_check|INSERT INTO clients (branch, name, email) VALUES ('north', 'x', 'a b@c')
23514 clients_status_check|INSERT INTO clients (branch, name, status) VALUES ('north', 'x', 'gone')
ok|INSERT INTO appointments (branch, client_id, scheduled_at) VALUES ('north', '$C', '2026-01-02 10:00Z')
23514 appointments_branch_check|INSERT INTO appointments (branch, client_id, scheduled_at) VALUES ('', '$C', now())
23503 appointments_client_id_fkey|INSERT INTO appointments (branch, client_id, scheduled_at) VALUES ('north', '$X', now())
23514 appointments_duration_minutes_check|INSERT INTO appointments (branch, client_id, scheduled_at, duration_minutes) VALUES ('north', '$C', now(), 0)
23514 appointments_duration_minutes_check|INSERT INTO appointments (branch, client_id, scheduled_at, duration_minutes) VALUES ('north', '$C', now(), 1441)
23514 appointments_status_check|INSERT INTO appointments (branch, client_id, scheduled_at, status) VALUES ('north', '$C', now(), 'done')
ok|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[$item, {"sku": "B", "name": "", "quantity": 0.5}]')
23514 stock_requests_branch_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('', 'sam', '[$item]')
23503 stock_requests_distributor_id_fkey|INSERT INTO stock_requests (branch, distributor_id, requested_by, items) VALUES ('north', '$X', 'sam', '[$item]')
23502 items|INSERT INTO stock_requests (branch, requested_by) VALUES ('north', 'sam')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[]')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '$item')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[$item, 1]')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[{"sku": "", "name": "n", "quantity": 1}]')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[{"sku": 7, "name": "n", "quantity": 1}]')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[{"sku": "A", "quantity": 1}]')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[{"sku": "A", "name": "n", "quantity": 0}]')
23514 stock_requests_items_check|INSERT INTO stock_requests (branch, requested_by, items) VALUES ('north', 'sam', '[{"sku": "A", "name": "n", "quantity": "2"}]')
23514 stock_requests_status_check|INSERT INTO stock_requests (branch, requested_by, items, status) VALUES ('north', 'sam', '[$item]', 'sent')
ok|INSERT INTO visits (branch, client_id, visited_at, agent, latitude, longitude, outcome) VALUES ('north', '$C', now(), 'kim', -33.9, 18.4, 'order')
23514 visits_branch_check|INSERT INTO visits (branch, client_id, visited_at, agent) VALUES ('', '$C', now(), 'kim')
23503 visits_client_id_fkey|INSERT INTO visits (branch, client_id, visited_at, agent) VALUES ('north', '$X', now(), 'kim')
23514 visits_latitude_check|INSERT INTO visits (branch, client_id, visited_at, agent, latitude) VALUES ('north', '$C', now(), 'kim', 90.5)
23514 visits_longitude_check|INSERT INTO visits (branch, client_id, visited_at, agent, longitude) VALUES ('north', '$C', now(), 'kim', -180.1)
23514 visits_outcome_check|INSERT INTO visits (branch, client_id, visited_at, agent, outcome) VALUES ('north', '$C', now(), 'kim', 'maybe')
ok|INSERT INTO campaigns (branch, name, starts_on, ends_on, budget, details) VALUES ('north', 'Spring', '2026-03-01', '2026-03-01', 0, '{}')
23514 campaigns_branch_check|INSERT INTO campaigns (branch, name, starts_on) VALUES ('', 'x', '2026-03-01')
23514 campaigns_ends_on_check|INSERT INTO campaigns (branch, name, starts_on, ends_on) VALUES ('north', 'x', '2026-03-02', '2026-03-01')
23514 campaigns_budget_check|INSERT INTO campaigns (branch, name, starts_on, budget) VALUES ('north', 'x', '2026-03-01', -0.01)
23514 campaigns_status_check|INSERT INTO campaigns (branch, name, starts_on, status) VALUES ('north', 'x', '2026-03-01', 'live')
23514 campaigns_details_check|INSERT INTO campaigns (branch, name, starts_on, details) VALUES ('north', 'x', '2026-03-01', '"text"')
ok|INSERT INTO finance_cash_requests (branch, requested_by, amount, purpose) VALUES ('north', 'lee', 10.50, 'fuel')
23514 finance_cash_requests_branch_check|INSERT INTO finance_cash_requests (branch, requested_by, amount, purpose) VALUES ('', 'lee', 1, 'fuel')
23514 finance_cash_requests_amount_check|INSERT INTO finance_cash_requests (branch, requested_by, amount, purpose) VALUES ('north', 'lee', 0, 'fuel')
23514 finance_cash_requests_currency_check|INSERT INTO finance_cash_requests (branch, requested_by, amount, purpose, currency) VALUES ('north', 'lee', 1, 'fuel', 'usd')
23514 finance_cash_requests_status_check|INSERT INTO finance_cash_requests (branch, requested_by, amount, purpose, status) VALUES ('north', 'lee', 1, 'fuel', 'spent')
ok|INSERT INTO leave_requests (branch, employee, start_date, end_date) VALUES ('north', 'ana', '2026-05-04', '2026-05-04')
23514 leave_requests_branch_check|INSERT INTO leave_requests (branch, employee, start_date, end_date) VALUES ('', 'ana', '2026-05-04', '2026-05-05')
23514 leave_requests_end_date_check|INSERT INTO leave_requests (branch, employee, start_date, end_date) VALUES ('north', 'ana', '2026-05-04', '2026-05-03')
23514 leave_requests_leave_type_check|INSERT INTO leave_requests (branch, employee, start_date, end_date, leave_type) VALUES ('north', 'ana', '2026-05-04', '2026-05-05', 'gap')
23514 leave_requests_status_check|INSERT INTO leave_requests (branch, employee, start_date, end_date, status) VALUES ('north', 'ana', '2026-05-04', '2026-05-05', 'maybe')
23503 clients_distributor_id_fkey|DELETE FROM distributors WHERE id = '$D'
EOF

is "$(tsql "$URL" "SELECT currency || ' ' || status || ' ' || version FROM finance_cash_requests")" "USD pending 1" \
	"defaults: currency USD, status pending, version 1"
is "$(tsql "$URL" "SELECT duration_minutes || ' ' || status FROM appointments")" "30 scheduled" \
	"defaults: duration 30 minutes, status scheduled"

done_testing
