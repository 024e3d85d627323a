#!/bin/bash
# The relay as a process, on a private instance: SIGTERM ends it cleanly (exit 0, its
# socket removed, its streams closed); a database that cannot be reached does not kill it
# (503 until it can); at most max_clients streams (503 JSON beyond); a second relay on a
# socket in use refuses to start and leaves the first alone.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
[ -x "${FIELDSYNC_RELAY_BIN:-}" ] || bail_out "no relay binary (FIELDSYNC_RELAY_BIN=${FIELDSYNC_RELAY_BIN:-})"

# exited PID: the process is gone (reaped or not).
exited() { ! kill -0 "$1" 2>/dev/null; }

# ---- SIGTERM
private_relay term || bail_out "the private relay did not start"
pr_subscribe s1
pr_subscribe s2 'types=clients:*'
{ wait_ready s1 && wait_ready s2; } || diag "no ready event from the private relay"
is "$(pr_health | jq -r .clients)" 2 "two streams open"
kill -TERM "$PR_PID"
rc=0
if wait_until 5 exited "$PR_PID"; then wait "$PR_PID" || rc=$?; else rc=timeout; fi
is "$rc" 0 "SIGTERM: the relay exits 0 within 5 s"
ok "$([ ! -e "$PR_SOCK" ]; echo $?)" "... and removes its socket"
ok "$(wait_until 3 sub_ended s1 && wait_until 3 sub_ended s2; echo $?)" "... and its streams end"
like "$(tail -n 1 "$RT_TMP/term.log")" 'stopped$' "... logging that it stopped"

# ---- a database it cannot reach
DATABASE_URL="postgresql:///fieldsync?host=$RT_TMP/nowhere" PR_NOWAIT=1 private_relay nodb
ok "$(wait_until 5 test -S "$PR_SOCK"; echo $?)" "without a database the relay still listens"
code=$(curl -s -o "$RT_TMP/nodb.json" -w '%{http_code}' --max-time 3 --unix-socket "$PR_SOCK" http://relay/events/health)
is "$code" 503 "... /events/health answers 503"
is "$(jq -r .error.code "$RT_TMP/nodb.json" 2>/dev/null)" database_unavailable "... database_unavailable"
code=$(curl -s -o "$RT_TMP/nodb2.json" -w '%{http_code}' --max-time 3 -H "$(auth_header)" --unix-socket "$PR_SOCK" http://relay/events)
is "$code" 503 "... GET /events answers 503 JSON, not a hanging stream"
ok "$(kill -0 "$PR_PID" 2>/dev/null; echo $?)" "... and it keeps running"
kill -TERM "$PR_PID"
rc=0
if wait_until 5 exited "$PR_PID"; then wait "$PR_PID" || rc=$?; else rc=timeout; fi
is "$rc" 0 "... and stops cleanly"

# ---- max_clients
private_relay cap 'max_clients = 2' '[http]' 'retry_after = 7' || bail_out "the private relay did not start"
pr_subscribe c1
pr_subscribe c2
{ wait_ready c1 && wait_ready c2; } || diag "no ready event from the private relay"
code=$(curl -s -D "$RT_TMP/cap.h" -o "$RT_TMP/cap.json" -w '%{http_code}' --max-time 3 -H "$(auth_header)" --unix-socket "$PR_SOCK" http://relay/events)
is "$code" 503 "a third stream over max_clients = 2 answers 503"
is "$(jq -r .error.code "$RT_TMP/cap.json" 2>/dev/null)" too_many_streams "... too_many_streams, as JSON"
like "$(tr -d '\r' <"$RT_TMP/cap.h")" $'\n[Rr]etry-[Aa]fter: 7\n' "... with Retry-After from the config ([http] retry_after = 7)"
is "$(jq -c '.error | [.status, (.message | type)]' "$RT_TMP/cap.json" 2>/dev/null)" '[503,"string"]' \
	"... in the API's error shape {error: {status, code, message}}"
unsubscribe c1
closed() { [ "$(pr_health | jq -r .clients)" = 1 ]; }
ok "$(wait_until 3 closed; echo $?)" "a stream that ends frees its place"
pr_subscribe c3
ok "$(wait_ready c3; echo $?)" "... for the next one"

# ---- a second relay on the same socket
first=$PR_PID first_sock=$PR_SOCK
"$FIELDSYNC_RELAY_BIN" --config "$PR_CONF" --sub "ipc://$RT_TMP/other.ipc" >"$RT_TMP/second.log" 2>&1 &
second=$!
RT_CHILDREN+=("$second")
rc=0
if wait_until 5 exited "$second"; then wait "$second" || rc=$?; else rc=timeout; fi
ok "$([ "$rc" != 0 ] && [ "$rc" != timeout ]; echo $?)" "a second relay on a socket in use exits non-zero ($rc)"
like "$(cat "$RT_TMP/second.log")" 'in use' "... saying the socket is in use"
ok "$(kill -0 "$first" 2>/dev/null && [ -S "$first_sock" ] && pr_healthy; echo $?)" "... and the first keeps serving"
kill -TERM "$first"

done_testing
