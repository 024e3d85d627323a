# shellcheck shell=bash
# Helpers of the t/process tests (source after t/lib/tap.sh): clients.fcgi and the config,
# a scratch folder, processes started and killed at exit, and one request over a socket
# (cgi-fcgi) or as plain CGI. Every wait is a bounded poll, never a fixed sleep.

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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-$(basename "$0" .sh).XXXXXX")
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
	out=$TMP/response.$BASHPID	# one file per process: requests may run in parallel
	len=$(printf '%s' "$body" | wc -c)
	local -a vars=(
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SERVER_SOFTWARE=fieldsync-tests
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

