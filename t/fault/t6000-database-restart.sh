#!/bin/bash
# PostgreSQL goes away and comes back under running workers:
# while it is down every request answers 503 database_unavailable (with
# Retry-After) quickly, nothing is written and no worker crashes; once it is
# back the same worker processes answer 200 again, without a restart.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

[ "${FIELDSYNC_LOCAL_PG:-0}" = 1 ] || skip_all "the stack does not run its own PostgreSQL"
require_stack

STACK=$FIELDSYNC_TOP/stack
RUN=$FIELDSYNC_VAR/run
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t6000.XXXXXX")

# Whatever happens, leave the database running for the rest of the suite.
cleanup() {
	"$STACK" pg-start >/dev/null 2>&1 || diag "could not restart PostgreSQL"
	rm -rf "$TMP"
}
trap cleanup EXIT

# worker_pids: every supervisor of the stack and its workers, one per line, sorted.
worker_pids() {
	local pidfile pid
	for pidfile in "$RUN"/*.pid; do
		[ "$(basename "$pidfile")" = nginx.pid ] && continue
		pid=$(cat "$pidfile" 2>/dev/null) || continue
		echo "$pid"
		pgrep -P "$pid"
	done | sort -n
}

# timed METHOD PATH [CURL ARGS]: like api (signed in with the suite's token, which
# require_stack checked while the database was up), and sets TIME (seconds, curl's time_total).
timed() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -sS -o "$TMP/body" -D "$TMP/head" -w '%{http_code} %{time_total}' \
		-X "$method" --max-time 3 -H "$(auth_header)" "$@" "$FIELDSYNC_URL$path") || out="000 3"
	STATUS=${out% *} TIME=${out#* }
	BODY=$(cat "$TMP/body" 2>/dev/null)
	HEADERS=$(tr -d '\r' <"$TMP/head" 2>/dev/null)
}

quick() { awk -v t="$1" 'BEGIN { exit !(t < 2.0) }'; }

error_code() { printf '%s' "$BODY" | jq -r '.error.code // empty' 2>/dev/null; }

# wait_until (t/lib/common.sh) polls every 0.2 s here.
# shellcheck disable=SC2034  # read by wait_until
WAIT_EVERY=0.2

answers_200() { api GET '/api/clients?limit=1'; [ "$STATUS" = 200 ]; }

plan 14

before=$(worker_pids)
[ -n "$before" ] || bail_out "no worker pid files in $RUN"

"$STACK" pg-stop >"$TMP/stack.log" 2>&1
ok $? 'the stack stops its PostgreSQL' || diag "$(cat "$TMP/stack.log")"

timed GET /api/clients
is "$STATUS" 503 'GET with the database down answers 503'
is "$(error_code)" database_unavailable 'its error code is database_unavailable' || diag "body: $BODY"
like "$(header Retry-After)" '^[0-9]+$' 'it carries Retry-After'
quick "$TIME"
ok $? "it answers in under 2 s (took ${TIME}s)"

id=$(uuid)
timed POST /api/clients -H 'Content-Type: application/json' \
	--data-binary "{\"id\":\"$id\",\"branch\":\"t6000\",\"name\":\"written while down\"}"
is "$STATUS" 503 'POST with the database down answers 503'
is "$(error_code)" database_unavailable 'its error code is database_unavailable' || diag "body: $BODY"
quick "$TIME"
ok $? "it answers in under 2 s (took ${TIME}s)"

is "$(worker_pids)" "$before" 'no worker crashed or was restarted while the database was down'

"$STACK" pg-start >"$TMP/stack.log" 2>&1
ok $? 'the stack starts its PostgreSQL again' || diag "$(cat "$TMP/stack.log")"

wait_until 10 answers_200
ok $? 'within 10 s GET answers 200 again' || diag "last: $STATUS $BODY"
is "$(jq -r 'type' <<<"$BODY" 2>/dev/null)" array 'with a JSON array'
is "$(worker_pids)" "$before" 'served by the same worker processes (no restart)'
is "$(sql "select count(*) from clients where id = '$id'")" 0 'the POST made while down wrote nothing'

done_testing
