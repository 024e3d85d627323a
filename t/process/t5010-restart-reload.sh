#!/bin/bash
# Restarts and reloads under load drop no request (clients.fcgi as the example).
#   - restart: the listening socket is held outside the pool, as a systemd socket unit
#     holds it (hold-socket passes it as systemd does: fd 3, LISTEN_FDS); the pool is
#     stopped and started again while requests keep coming; they wait in the socket's
#     backlog instead of failing;
#   - SIGHUP: the supervisor reads its config again and replaces its workers, the socket
#     never closing; a config with errors keeps the running one;
#   - a supervisor killed with SIGKILL leaves no worker behind.
# The figures (requests, failures; and, for comparison, a restart without a held socket)
# are printed as TAP comments.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-process.sh
. "$(dirname "$0")/lib-process.sh"

HOLD=$FIELDSYNC_TOP/t/process/hold-socket
[ -x "$HOLD" ] || skip_all "t/process/hold-socket is not built"

# wait_until (t/lib/common.sh) polls every 0.1 s here.
# shellcheck disable=SC2034  # read by wait_until
WAIT_EVERY=0.1

cp "$CONF" "$TMP/fieldsync.conf"
SOCK=$TMP/clients.sock

# load FILE: GETs over $SOCK until $TMP/stop exists, one answer's status a line into FILE
# ("none" when nothing answered).
load() {
	while [ ! -e "$TMP/stop" ]; do
		request "$SOCK" GET 'limit=1'
		echo "${RESP_STATUS:-none}" >>"$1"
	done
}

answered() { cat "$TMP"/load.* 2>/dev/null | wc -l; }
more_than() { [ "$(answered)" -gt "$1" ]; }

# run_load NAME ACTION...: three clients load the socket while ACTION runs, each step
# followed by at least 20 more answers; sets TOTAL and FAILED.
run_load() {
	local name=$1 pid
	local -a loaders=()
	shift
	rm -f "$TMP"/load.* "$TMP/stop"
	for n in 1 2 3; do
		load "$TMP/load.$n" &
		loaders+=($!)
	done
	wait_until 20 more_than 30 || diag "$name: the load did not start"
	"$@"
	wait_until 20 more_than $(($(answered) + 20)) || diag "$name: the load stalled"
	touch "$TMP/stop"
	for pid in "${loaders[@]}"; do wait "$pid"; done
	TOTAL=$(answered)
	FAILED=$(cat "$TMP"/load.* | grep -cvx 200)
	[ "$FAILED" = 0 ] || diag "$name: answers other than 200: $(cat "$TMP"/load.* | grep -vx 200 | sort | uniq -c | tr '\n' ' ')"
}

# ---------------------------------------------------------------- socket held: restarts

"$HOLD" "$SOCK" "$BIN" --workers 2 --config "$TMP/fieldsync.conf" >"$TMP/hold.log" 2>&1 &
holder=$!
started+=("$holder")
wait_until 10 answers "$SOCK"
ok $? "a pool started with the socket handed over (LISTEN_FDS) serves it" || diag "$(tail -n 5 "$TMP/hold.log")"

supervisor() { pgrep -P "$holder" | head -n 1; }
workers_of() { pgrep -P "$1" | sort | tr '\n' ' '; }
two_workers() { [ "$(pgrep -P "$1" | wc -l)" -eq 2 ]; }
# a_new_pool OLD: the held socket is served by a supervisor other than OLD, with 2 workers.
a_new_pool() { local s; s=$(supervisor); [ -n "$s" ] && [ "$s" != "$1" ] && two_workers "$s"; }

restarts() {
	local old
	for _ in 1 2 3; do
		old=$(supervisor)
		kill -HUP "$holder"	# systemctl restart: stop the pool, start it again
		wait_until 10 a_new_pool "$old" || diag "no new pool after a restart"
		wait_until 10 more_than $(($(answered) + 20)) || diag "no answers after a restart"
	done
}
run_load restarts restarts
is "$FAILED" 0 "3 restarts of the pool under load: no request failed ($TOTAL answered)"
note "restart with the socket held: $TOTAL requests, $FAILED failed"

# ---------------------------------------------------------------- SIGHUP: reloads

# new_workers SUP OLD: SUP runs 2 workers, none of them in OLD.
new_workers() {
	local now w
	now=$(workers_of "$1")
	[ "$(wc -w <<<"$now")" -eq 2 ] || return 1
	for w in $now; do [[ " $2 " == *" $w "* ]] && return 1; done
	return 0
}

reloads() {
	local sup old
	for _ in 1 2 3; do
		sup=$(supervisor)
		old=$(workers_of "$sup")
		kill -HUP "$sup"
		wait_until 10 new_workers "$sup" "$old" || diag "no new workers after SIGHUP"
		wait_until 10 more_than $(($(answered) + 20)) || diag "no answers after a reload"
	done
}
sup=$(supervisor)
run_load reloads reloads
is "$FAILED" 0 "3 reloads (SIGHUP) under load: no request failed ($TOTAL answered)"
note "reload: $TOTAL requests, $FAILED failed"
is "$(supervisor)" "$sup" "... the same supervisor, its socket never closed"

rows() { request "$SOCK" GET ''; printf '%s' "$RESP_BODY" | jq length 2>/dev/null; }
sed -i 's/^page_default = .*/page_default = 3/' "$TMP/fieldsync.conf"
old=$(workers_of "$sup")
kill -HUP "$sup"
wait_until 10 new_workers "$sup" "$old"
is "$(rows)" 3 "a reload applies the edited config (page_default = 3)"

echo 'this line is not a setting' >>"$TMP/fieldsync.conf"
old=$(workers_of "$sup")
kill -HUP "$sup"
kept() { grep -q 'the configuration has errors: the running one is kept' "$TMP/hold.log"; }
wait_until 10 kept
ok $? "a config with errors is refused on reload, and says so" || diag "$(tail -n 5 "$TMP/hold.log")"
is "$(workers_of "$sup")" "$old" "... the running workers stay"
is "$(rows)" 3 "... and serve with the config they had"

# ---------------------------------------------------------------- supervisor killed

workers=$(workers_of "$sup")
kill -KILL "$sup"
# shellcheck disable=SC2086 # one pid per word
wait_until 10 all_gone $workers
ok $? "a supervisor killed with SIGKILL leaves no worker behind" || diag "still running: $workers"
kill -TERM "$holder"
wait_until 10 gone "$holder"
wait "$holder" 2>/dev/null

# ---------------------------------------------------------------- for comparison

# The same restarts without a held socket (--socket: the pool binds it itself): what a
# plain service restart costs. Reported only: how many fail depends on timing.
cp "$CONF" "$TMP/fieldsync.conf"
"$BIN" --socket "$SOCK" --workers 2 --config "$TMP/fieldsync.conf" >>"$TMP/plain.log" 2>&1 &
plain=$!
started+=("$plain")
wait_until 10 answers "$SOCK" || diag "the plain pool does not answer"
plain_restarts() {
	for _ in 1 2 3; do
		kill -TERM "$plain"
		wait "$plain" 2>/dev/null
		"$BIN" --socket "$SOCK" --workers 2 --config "$TMP/fieldsync.conf" >>"$TMP/plain.log" 2>&1 &
		plain=$!
		started+=("$plain")
		wait_until 10 answers "$SOCK" || diag "the plain pool does not answer after a restart"
	done
}
run_load plain plain_restarts
note "restart without a held socket (for comparison): $TOTAL requests, $FAILED failed"
kill -TERM "$plain"

done_testing
