#!/bin/bash
# [relay] listen takes several addresses: a private relay on a unix socket (where nginx
# proxies) and a TCP address of its own serves /events on both, the same events to a
# stream on each, sessions checked on both; SIGTERM removes the socket; more than four
# addresses, or one that cannot be opened, and it refuses to start.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
[ -x "${FIELDSYNC_RELAY_BIN:-}" ] || bail_out "no relay binary (FIELDSYNC_RELAY_BIN=${FIELDSYNC_RELAY_BIN:-})"

port=$(free_port)
tcp_health() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$port/events/health"; }
exited() { ! kill -0 "$1" 2>/dev/null; }

private_relay two "listen = unix:$RT_TMP/two.sock 127.0.0.1:$port" || bail_out "the private relay did not start"
ok "$(pr_healthy; echo $?)" "the relay answers on its unix socket"
is "$(tcp_health)" 200 "... and on its TCP address"
like "$(grep 'listening on' "$RT_TMP/two.log")" "unix:$RT_TMP/two.sock 127.0.0.1:$port" "... its log names both"

branch=$(new_branch)
pr_subscribe viaunix "branch=$branch"
subscribe viatcp "http://127.0.0.1:$port/events?branch=$branch"
{ wait_ready viaunix && wait_ready viatcp; } || diag "no ready event on one of them"
is "$(pr_health | jq -r .clients)" 2 "a stream on each address"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$port/events")" 401 \
	"without a session the TCP address refuses a stream too (401)"

id=$(insert_client "$branch" "Listen twice")
both() { has_event viaunix clients:create "$id" && has_event viatcp clients:create "$id"; }
ok "$(wait_until 10 both; echo $?)" "a committed row reaches the stream on each address"
is "$(ids_of viaunix "$id")" "$(ids_of viatcp "$id")" "... with the same seq"

kill -TERM "$PR_PID"
ok "$(wait_until 5 exited "$PR_PID"; echo $?)" "SIGTERM ends it"
ok "$([ ! -e "$RT_TMP/two.sock" ]; echo $?)" "... and its socket is removed"

# ---- addresses it cannot serve
# (Port 0: any free port; short, as a config line is.)
PR_NOWAIT=1 private_relay five "listen = 127.0.0.1:0 127.0.0.1:0 127.0.0.1:0 127.0.0.1:0 127.0.0.1:0"
rc=0
if wait_until 5 exited "$PR_PID"; then wait "$PR_PID" || rc=$?; else rc=timeout; fi
is "$rc" 1 "five addresses: the relay refuses to start (exit 1)"
like "$(cat "$RT_TMP/five.log")" 'at most 4 addresses' "... saying why"

PR_NOWAIT=1 private_relay bad "listen = unix:$RT_TMP/bad.sock nohost"
rc=0
if wait_until 5 exited "$PR_PID"; then wait "$PR_PID" || rc=$?; else rc=timeout; fi
is "$rc" 1 "a second address that cannot be opened: it refuses to start"
ok "$([ ! -e "$RT_TMP/bad.sock" ]; echo $?)" "... and leaves no socket behind"

done_testing
