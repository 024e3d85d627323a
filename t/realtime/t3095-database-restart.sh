#!/bin/bash
# PostgreSQL goes away and comes back under a running relay: the relay stays up and keeps
# its streams open; a new stream meanwhile is a JSON 503 with Retry-After (its session
# cannot be checked, and a stream is never opened unchecked: the browser retries); once the
# database is back it reconnects by itself, events flow again on the same stream and new
# streams open.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

[ "${FIELDSYNC_LOCAL_PG:-0}" = 1 ] || skip_all "the stack does not run its own PostgreSQL"
require_relay
STACK=$FIELDSYNC_TOP/stack
branch=$(new_branch)

# Whatever happens, leave the database running for the rest of the suite.
trap '"$STACK" pg-start >/dev/null 2>&1 || diag "could not restart PostgreSQL"; rt_cleanup' EXIT

relay_pid=$(cat "$FIELDSYNC_VAR/run/relay.pid" 2>/dev/null)
subscribe s "$FIELDSYNC_URL/events?types=clients:*"
wait_ready s || bail_out "no ready event on GET /events"

"$STACK" pg-stop >/dev/null 2>&1 || bail_out "cannot stop PostgreSQL"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$FIELDSYNC_URL/events/health")" 200 \
	"with the database down, /events/health still answers 200"
api GET /events --max-time 3
is "$STATUS,$(jq -r .error.code <<<"$BODY" 2>/dev/null)" 503,database_unavailable \
	"... a new stream is a JSON 503 (its session cannot be checked), never an unchecked stream"
like "$(header Retry-After)" '^[0-9]+$' "... with Retry-After"
# Let the relay meet the outage (its poll runs every second) before checking on it.
down_seen() { grep -q 'database unavailable' "$FIELDSYNC_VAR/log/relay.log"; }
wait_until 5 down_seen || true
ok "$(sub_running s; echo $?)" "... the open stream stays open"
db_state() { [ "$(health | jq -r .database)" = "$1" ]; }
ok "$(wait_until 10 db_state unavailable; echo $?)" "... and /events/health says the database is unavailable"

"$STACK" pg-start >/dev/null 2>&1 || bail_out "cannot start PostgreSQL"
posted() {
	json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"After the restart\"}"
	[ "$STATUS" = 201 ]
}
ok "$(wait_until 20 posted; echo $?)" "the API writes again once PostgreSQL is back"
id=$(printf '%s' "$BODY" | jq -r .id)
ok "$(wait_until 5 has_event s clients:create "$id"; echo $?)" "the stream opened before the outage gets the new event"
# The event may come from the worker's message before the relay's own connections are back:
# a new stream's session lookup needs them, so it is opened once the relay says so.
ok "$(wait_until 10 db_state ok; echo $?)" "/events/health says the database is ok again"
subscribe after "$FIELDSYNC_URL/events"
ok "$(wait_ready after; echo $?)" "... and a new stream opens again"
is "$(cat "$FIELDSYNC_VAR/run/relay.pid" 2>/dev/null)" "$relay_pid" "the same relay process did it (no restart)"

done_testing
