#!/bin/bash
# The three ways one FastCGI binary runs (clients.fcgi as the example):
#   (a) plain CGI: one request from the environment and stdin, then exit;
#   (b) standalone: --socket PATH --workers N, a pre-forking supervisor that
#       replaces a crashed worker and takes its workers down on SIGTERM;
#   (c) under spawn-fcgi: FastCGI on the listening socket it hands over as fd 0.
# Every wait is a bounded poll, never a fixed sleep.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

BIN=$FIELDSYNC_TOP/cgi-bin/clients.fcgi
CONF=$FIELDSYNC_TOP/conf/fieldsync.conf

[ -x "$BIN" ] || skip_all "cgi-bin/clients.fcgi is not built"
[ -n "${DATABASE_URL:-}" ] || skip_all "no DATABASE_URL (run ./stack up)"
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi missing (Debian package libfcgi-bin)"
command -v spawn-fcgi >/dev/null || skip_all "spawn-fcgi missing"
command -v pgrep >/dev/null || skip_all "pgrep missing (procps)"
sql 'select 1' >/dev/null 2>&1 || skip_all "the stack's database does not answer"
# The requests are signed in as the suite's admin (FastCGI's HTTP_AUTHORIZATION).
suite_token_load || bail_out "the suite's admin cannot sign in at $FIELDSYNC_URL (run ./stack up)"

export DATABASE_URL FIELDSYNC_CONF=$CONF

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t5000.XXXXXX")
started=()

cleanup() {
	local pid
	for pid in "${started[@]}"; do
		kill -KILL "$pid" $(pgrep -P "$pid" 2>/dev/null) 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# wait_until (t/lib/common.sh) polls every 0.1 s here.
# shellcheck disable=SC2034  # read by wait_until
WAIT_EVERY=0.1

# gone PID: the process no longer runs (an unreaped zombie counts as gone).
gone() {
	local stat
	stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	[[ $stat == Z* ]]
}

all_gone() {
	local pid
	for pid in "$@"; do gone "$pid" || return 1; done
}

# request RUNNER METHOD QUERY [BODY]: one CGI request through RUNNER (the
# binary itself, or cgi-fcgi connected to a socket), with the variables nginx
# would pass (the suite's token among them); bounded by timeout so a hung server fails the test, not the run. Sets RESP_STATUS (the Status header's code), RESP_HEAD, RESP_BODY.
request() {
	local runner=$1 method=$2 query=$3 body=${4-} out len
	out=$TMP/response
	len=$(printf '%s' "$body" | wc -c)
	local -a vars=(
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SERVER_SOFTWARE=t5000
		SERVER_NAME=localhost SERVER_PORT=80 SERVER_ADDR=127.0.0.1 REMOTE_ADDR=127.0.0.1
		REQUEST_METHOD="$method" QUERY_STRING="$query"
		SCRIPT_NAME=/api/clients DOCUMENT_URI=/api/clients
		REQUEST_URI="/api/clients${query:+?$query}" "$(auth_param)"
	)
	if [ -n "$body" ]; then
		vars+=(CONTENT_TYPE=application/json CONTENT_LENGTH="$len")
	fi
	case $runner in
		cgi) printf '%s' "$body" |
			env "${vars[@]}" timeout 10 "$BIN" >"$out" 2>>"$TMP/cgi.log" ;;
		*) printf '%s' "$body" |
			env "${vars[@]}" timeout 10 cgi-fcgi -bind -connect "$runner" >"$out" 2>>"$TMP/cgi-fcgi.log" ;;
	esac
	# Headers end at the first empty line (CRLF or LF).
	RESP_HEAD=$(sed -n '/^\r\{0,1\}$/q;p' "$out" | tr -d '\r')
	RESP_BODY=$(sed '1,/^\r\{0,1\}$/d' "$out")
	RESP_STATUS=$(printf '%s\n' "$RESP_HEAD" | sed -n 's/^[Ss]tatus: *\([0-9]\{3\}\).*/\1/p' | head -n 1)
	# CGI's default status is 200 when the header is absent.
	if [ -z "$RESP_STATUS" ] && [ -n "$RESP_HEAD" ]; then RESP_STATUS=200; fi
}

# answers SOCKET: a GET through the socket is a 200.
answers() {
	request "$1" GET 'limit=1'
	[ "$RESP_STATUS" = 200 ]
}

# is_json_array TEXT: TEXT is exactly one JSON value, an array (empty text is not).
is_json_array() { printf '%s' "$1" | jq -e -s 'length == 1 and (.[0] | type) == "array"' >/dev/null 2>&1; }

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
