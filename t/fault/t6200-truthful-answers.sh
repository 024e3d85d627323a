#!/bin/bash
# No answer lies about a write. A write slowed past its deadline (a lock another session holds)
# is rolled back and answered 503 timeout; a bulk write whose COMMIT would outlast the deadline
# too. A connection lost while COMMIT is under way is 502 outcome_unknown, and a retry with the
# same Idempotency-Key settles it. Through nginx, a worker killed mid-write is 502
# outcome_unknown, a worker that cannot be reached 503 service_unavailable.
#
# The deadline tests run the worker binary directly (CGI) with a private config whose
# statement_timeout and write_timeout are short, so they take seconds, not the defaults' 20 s.
. "$(dirname "$0")/../lib/tap.sh"
require_stack

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t6200.XXXXXX")
HOLDERS=() MARKS=()
cleanup() {
	local p m
	for m in "${MARKS[@]}"; do
		sql "select pg_terminate_backend(pid) from pg_stat_activity where application_name = '$m'" >/dev/null 2>&1
	done
	for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
BIN=$FIELDSYNC_TOP/cgi-bin/clients.fcgi
BR=$(new_branch)
CONF=$TMP/fieldsync.conf
# A later key wins: the stack's config with short deadlines after it.
{ cat "$FIELDSYNC_STACK_CONF"; printf '[database]\nstatement_timeout = 700\nwrite_timeout = 1500\n'; } >"$CONF"

# cgi METHOD QUERY BODY [ENV...]: one request to the binary; sets STATUS, BODY, SECS.
cgi() {
	local method=$1 query=$2 body=$3 out=$TMP/out t0=$EPOCHREALTIME
	shift 3
	printf '%s' "$body" | env FIELDSYNC_CONF="$CONF" DATABASE_URL="$DATABASE_URL" \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD="$method" \
		QUERY_STRING="$query" SCRIPT_NAME=/api/clients REQUEST_URI=/api/clients \
		CONTENT_TYPE=application/json CONTENT_LENGTH="${#body}" "$(auth_param)" "$@" \
		timeout 30 "$BIN" >"$out" 2>>"$TMP/cgi.log"
	STATUS=$(sed -n 's/^Status: *\([0-9]\{3\}\).*/\1/p' "$out" | head -n 1)
	BODY=$(sed '1,/^\r\{0,1\}$/d' "$out")
	SECS=$(since "$t0")
}
code() { jq -r '.error.code // empty' <<<"$BODY" 2>/dev/null; }

# hold SQL: a psql session that runs SQL and then keeps its locks until killed; waits until
# it holds them (the marker table row), never a sleep.
hold() {
	local mark
	mark="t6200-$(uniq_token)"
	MARKS+=("$mark")
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<-SQL &
		BEGIN;
		$1;
		SELECT set_config('application_name', '$mark', true);
		SELECT pg_sleep(60);
	SQL
	HOLDERS+=($!)
	wait_until 10 session_named "$mark" || bail_out "the lock holder did not start"
}
session_named() { [ "$(sql "select count(*) from pg_stat_activity where application_name = '$1'")" = 1 ]; }
# A clients worker's connection waiting on a lock: the write in its COMMIT.
worker_waiting() {
	[ -n "$(sql "select pid from pg_stat_activity where application_name = 'fieldsync-clients' and wait_event_type = 'Lock'")" ]
}
api_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$(auth_header)" "$FIELDSYNC_URL/api/clients?limit=1")" = 200 ]; }
# release: ends the last holder's session (its backend, not only psql: a backend sleeping in
# pg_sleep would keep the locks until it woke) and waits until it is gone.
release() {
	local mark=${MARKS[-1]}
	sql "select pg_terminate_backend(pid) from pg_stat_activity where application_name = '$mark'" >/dev/null
	wait_until 10 session_gone "$mark" || diag "the lock holder $mark did not go"
	wait "${HOLDERS[-1]}" 2>/dev/null
	unset 'HOLDERS[-1]' 'MARKS[-1]'
}
session_gone() { ! session_named "$1"; }

# 1. A PUT waiting on a row lock: cancelled by statement_timeout, rolled back, and said so.
id=$(uuid)
json POST /api/clients "{\"id\":\"$id\",\"branch\":\"$BR\",\"name\":\"locked\",\"phone\":\"1\"}"
is "$STATUS" 201 "a row to lock"
hold "SELECT 1 FROM clients WHERE id = '$id' FOR UPDATE"
cgi PUT "" "{\"id\":\"$id\",\"phone\":\"2\"}"
is "$STATUS $(code)" "503 timeout" "a PUT stuck behind a row lock is 503 timeout"
ok "$(at_most "$SECS" 5 && echo 0 || echo 1)" "... answered by the worker's own deadline (${SECS}s), long before nginx's 30 s"
release
is "$(sql "select phone || ' ' || version from clients where id = '$id'")" "1 1" "... and nothing was written"

# 2. A batch whose COMMIT cannot finish within write_timeout (the change log's lock is held):
# the COMMIT gets only the time left, the database gives up first, and nothing is written.
hold "SELECT pg_advisory_xact_lock(fs_change_log_lock_key())"
batch=$(jq -cn --arg b "$BR" '[range(50) | {branch: $b, name: "bulk \(.)"}]')
cgi POST "" "$batch"
is "$STATUS $(code)" "503 timeout" "a bulk POST whose COMMIT outlasts write_timeout is 503 timeout"
ok "$(at_most "$SECS" 5 && echo 0 || echo 1)" "... within the deadline and a little (${SECS}s)"
release
is "$(sql "select count(*) from clients where branch = '$BR' and name like 'bulk %'")" 0 "... and none of it was written"

# 3. The connection is lost while COMMIT waits: the outcome is unknown, and the answer says so.
hold "SELECT pg_advisory_xact_lock(fs_change_log_lock_key())"
key="unknown-$(uniq_token)" uid=$(uuid)
row="{\"id\":\"$uid\",\"branch\":\"$BR\",\"name\":\"unknown\"}"
cgi POST "" "$row" HTTP_IDEMPOTENCY_KEY="$key" &
cgi_pid=$!
wait_until 10 worker_waiting || diag "the write did not reach its COMMIT"
sql "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'fieldsync-clients' and wait_event_type = 'Lock'" >/dev/null
wait "$cgi_pid"
release
# The background cgi's variables are gone with its subshell; its output file is not.
STATUS=$(sed -n 's/^Status: *\([0-9]\{3\}\).*/\1/p' "$TMP/out" | head -n 1)
BODY=$(sed '1,/^\r\{0,1\}$/d' "$TMP/out")
is "$STATUS $(code)" "502 outcome_unknown" "a connection lost during COMMIT is 502 outcome_unknown"
like "$(jq -r .error.message <<<"$BODY")" "Idempotency-Key" "... telling the client to send it again with the same key"
cgi POST "" "$row" HTTP_IDEMPOTENCY_KEY="$key"
is "$STATUS" 201 "the retry with the same key answers 201"
is "$(sql "select count(*) from clients where id = '$uid'")" 1 "... and the row is there exactly once"

# 4. Through nginx: a worker killed while a write waits in COMMIT is 502 outcome_unknown.
hold "SELECT pg_advisory_xact_lock(fs_change_log_lock_key())"
kid=$(uuid)
curl -sS -o "$TMP/killed.json" -w '%{http_code}' --max-time 30 -X POST -H "$(auth_header)" \
	-H 'Content-Type: application/json' --data-binary "{\"id\":\"$kid\",\"branch\":\"$BR\",\"name\":\"killed\"}" \
	"$FIELDSYNC_URL/api/clients" >"$TMP/killed.status" &
post_pid=$!
wait_until 10 worker_waiting || diag "the write did not reach its COMMIT"
# The worker process in poll(2) waiting on PostgreSQL (syscall 7) is the one serving it.
for p in $(pgrep -f "$FIELDSYNC_TOP/cgi-bin/.libs/clients.fcgi"); do
	[ "$(cut -d' ' -f1 "/proc/$p/syscall" 2>/dev/null)" = 7 ] && kill -9 "$p"
done
wait "$post_pid"
release
BODY=$(cat "$TMP/killed.json")
is "$(cat "$TMP/killed.status") $(code)" "502 outcome_unknown" "through nginx, a worker killed during a write is 502 outcome_unknown"
# Its backend did not notice the worker die and committed once the lock was free: the
# outcome really was unknown to nginx. The retry the answer asks for settles it.
json POST /api/clients "{\"id\":\"$kid\",\"branch\":\"$BR\",\"name\":\"killed\"}"
is "$STATUS" 201 "... and sending it again with the same id answers 201"
is "$(sql "select count(*) from clients where id = '$kid'")" 1 "... with the row there exactly once"
wait_until 10 api_answers || diag "the supervisor did not replace the worker"
api GET "/api/clients?id=$id"
is "$STATUS" 200 "the supervisor's new worker answers"

# 5. No worker listening at all: nothing reached one, so the plain 503.
"$FIELDSYNC_TOP/stack" workers-stop >/dev/null
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"nobody\"}"
is "$STATUS $(code)" "503 service_unavailable" "with no worker listening a write is 503 service_unavailable"
"$FIELDSYNC_TOP/stack" workers-start >/dev/null
is "$(sql "select count(*) from clients where branch = '$BR' and name = 'nobody'")" 0 "... and nothing was written"

done_testing
