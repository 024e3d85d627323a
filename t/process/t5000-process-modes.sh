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

# ---------------------------------------------------------------- (e) the config from the request

# A process with no config of its own (mod_fcgid's: nothing of a .htaccess reaches its
# environment) takes the FIELDSYNC_CONF parameter of its first request, the database URL in
# that file; a later request naming another config is refused.
OWN_CONF=$TMP/own.conf
{ cat "$CONF"; printf '\n[database]\nurl = %s\n' "$DATABASE_URL"; } >"$OWN_CONF"
SOCK3=$TMP/bare.sock
env -i PATH="$PATH" spawn-fcgi -s "$SOCK3" -n -- "$BIN" >"$TMP/bare.log" 2>&1 &
bare=$!
started+=("$bare")
answers_with_own_conf() { FIELDSYNC_CONF=$OWN_CONF answers "$SOCK3"; }
wait_until 10 answers_with_own_conf
ok $? 'no config of its own: the first request'"'"'s FIELDSYNC_CONF is loaded (its database answers)' ||
	diag "$(tail -n 5 "$TMP/bare.log")"
FIELDSYNC_CONF=$CONF request "$SOCK3" GET 'limit=1'
is "$RESP_STATUS" 500 'no config of its own: a request naming another FIELDSYNC_CONF is refused'
FIELDSYNC_CONF=$OWN_CONF request "$SOCK3" GET 'limit=1'
is "$RESP_STATUS" 200 '... and the next one naming its own is served'
kill -TERM "$bare" 2>/dev/null
wait_until 10 gone "$bare"
wait "$bare" 2>/dev/null

# ---------------------------------------------------------------- (f) CGI as Apache calls it

# A chunked body comes without CONTENT_LENGTH (HTTP_TRANSFER_ENCODING says there is one);
# the Link of a rewritten URL is built from REQUEST_URI, not SCRIPT_NAME.
id=$(uuid)
out=$(printf '{"id":"%s","branch":"t5000","name":"chunked %s"}' "$id" "$id" |
	env REQUEST_METHOD=POST QUERY_STRING= CONTENT_TYPE=application/json HTTP_TRANSFER_ENCODING=chunked \
	SCRIPT_NAME=/fieldsync/clients.fcgi REQUEST_URI=/api/clients "$(auth_param)" timeout 10 "$BIN" 2>>"$TMP/cgi.log")
like "$out" '^Status: 201' 'CGI: a chunked body (no CONTENT_LENGTH) is read and written: 201'
out=$(env REQUEST_METHOD=GET QUERY_STRING='branch=t5000&limit=1' SCRIPT_NAME=/fieldsync/clients.fcgi \
	REQUEST_URI='/app/api/clients?branch=t5000&limit=1' "$(auth_param)" timeout 10 "$BIN" </dev/null 2>>"$TMP/cgi.log")
like "$(printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^Link: //p')" '^</app/api/clients[?]' \
	'CGI: Link rel=next is the path of REQUEST_URI, not SCRIPT_NAME'

# ---------------------------------------------------------------- (d) a client that is gone

# The answer cannot be written (stdout closed, as when the client went away): the worker
# says so in its log and its exit status, rather than dropping it silently.
err=$(REQUEST_METHOD=OPTIONS QUERY_STRING= "$BIN" 2>&1 >&-)
rc=$?
ok $((rc == 0)) 'plain CGI: an answer that cannot be written is a failure exit'
like "$err" 'client went away before the 204 answer was written' \
	'plain CGI: an answer that cannot be written is logged'

done_testing
