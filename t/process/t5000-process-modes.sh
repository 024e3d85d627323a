#!/bin/bash
# The three ways one FastCGI binary runs (clients.fcgi as the example):
#   (a) plain CGI: one request from the environment and stdin, then exit;
#   (b) standalone: --socket PATH --workers N, a pre-forking supervisor that
#       replaces a crashed worker and takes its workers down on SIGTERM;
#   (c) under spawn-fcgi: FastCGI on the listening socket it hands over as fd 0.
# Every wait is a bounded poll, never a fixed sleep.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

# shellcheck source=lib-process.sh
. "$(dirname "$0")/lib-process.sh"

# ---------------------------------------------------------------- (a) plain CGI

request cgi GET 'limit=1'
like "$RESP_HEAD" '(^|'$'\n'')[Ss]tatus: 200' 'CGI: GET answers Status: 200' ||
	diag "$(tail -n 5 "$TMP/cgi.log" 2>/dev/null)"
is_json_array "$RESP_BODY"
ok $? 'CGI: GET body is a JSON array' || diag "body: ${RESP_BODY:0:300}"

id=$(uuid)
request cgi POST '' "{\"id\":\"$id\",\"branch\":\"t5000\",\"name\":\"CGI client $id\"}"
is "$RESP_STATUS" 201 'CGI: POST with a body on stdin answers 201' || diag "body: ${RESP_BODY:0:300}"
is "$(sql "select count(*) from clients where id = '$id'")" 1 'CGI: the POST created the row'

# ---------------------------------------------------------------- (b) standalone

SOCK=$TMP/clients.sock
"$BIN" --socket "$SOCK" --workers 2 --config "$CONF" >"$TMP/standalone.log" 2>&1 &
sup=$!
started+=("$sup")

wait_until 10 answers "$SOCK"
ok $? 'standalone: a request over the socket answers 200' ||
	diag "$(tail -n 5 "$TMP/standalone.log")"

two_workers() { [ "$(pgrep -P "$sup" | wc -l)" -eq 2 ]; }
wait_until 10 two_workers
ok $? 'standalone: the supervisor runs 2 workers' || diag "children: $(pgrep -P "$sup" | tr '\n' ' ')"

workers_before=$(pgrep -P "$sup" | sort)
victim=$(printf '%s\n' "$workers_before" | head -n 1)
kill -KILL "$victim" 2>/dev/null

# replaced: two workers again, the killed one not among them.
replaced() {
	local now
	now=$(pgrep -P "$sup" | sort)
	[ "$(printf '%s\n' "$now" | grep -c .)" -eq 2 ] && ! printf '%s\n' "$now" | grep -qx "$victim"
}
wait_until 10 replaced
ok $? "standalone: a new worker replaces the killed one (pid $victim)" ||
	diag "children now: $(pgrep -P "$sup" | tr '\n' ' ')"

all_answer=0
for _ in 1 2 3 4; do
	answers "$SOCK" || all_answer=1
done
ok $all_answer 'standalone: requests still answer 200 after the crash'

workers=$(pgrep -P "$sup")
kill -TERM "$sup"
# shellcheck disable=SC2086 # one pid per word
wait_until 10 all_gone "$sup" $workers
ok $? 'standalone: SIGTERM stops the supervisor and all its workers' ||
	diag "still running: $(ps -o pid=,args= -p "$sup,$(printf '%s' "$workers" | tr '\n' ',')" 2>/dev/null)"
wait "$sup" 2>/dev/null

# ---------------------------------------------------------------- (c) spawn-fcgi

SOCK2=$TMP/spawned.sock
spawn-fcgi -s "$SOCK2" -n -- "$BIN" >"$TMP/spawn-fcgi.log" 2>&1 &
spawned=$!
started+=("$spawned")

wait_until 10 answers "$SOCK2"
ok $? 'spawn-fcgi: a request over the handed-over socket answers 200' ||
	diag "$(tail -n 5 "$TMP/spawn-fcgi.log")"
is_json_array "$RESP_BODY"
ok $? 'spawn-fcgi: the body is a JSON array'

kill -TERM "$spawned" 2>/dev/null
wait_until 10 gone "$spawned"
ok $? 'spawn-fcgi: the process exits on SIGTERM'
wait "$spawned" 2>/dev/null

# ---------------------------------------------------------------- (d) a client that is gone

# The answer cannot be written (stdout closed, as when the client went away): the worker
# says so in its log and its exit status, rather than dropping it silently.
err=$(REQUEST_METHOD=OPTIONS QUERY_STRING= "$BIN" 2>&1 >&-)
rc=$?
ok $((rc == 0)) 'plain CGI: an answer that cannot be written is a failure exit'
like "$err" 'client went away before the 204 answer was written' \
	'plain CGI: an answer that cannot be written is logged'

done_testing
