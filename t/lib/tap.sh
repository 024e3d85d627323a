# shellcheck shell=bash disable=SC2034  # STATUS, BODY, HEADERS are read by the tests
# TAP helpers for the shell tests, sourced by every t/*/t*.sh.
# They read the running stack's settings from var/stack.env (written by ./stack up).

FIELDSYNC_TOP=${FIELDSYNC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -r "$FIELDSYNC_TOP/var/stack.env" ]; then
	# shellcheck disable=SC1091
	. "$FIELDSYNC_TOP/var/stack.env"
fi
FIELDSYNC_URL=${FIELDSYNC_URL:-http://127.0.0.1:8080}
# The web server in front of the workers: nginx (the stack's), or another one a test starts
# (t/apache/: FIELDSYNC_FRONT=apache-cgi or apache-fcgid, at FIELDSYNC_FRONT_URL).
FIELDSYNC_FRONT=${FIELDSYNC_FRONT:-nginx}
if [ -n "${FIELDSYNC_FRONT_URL:-}" ]; then
	FIELDSYNC_URL=$FIELDSYNC_FRONT_URL
fi

tap_n=0
tap_failed=0
tap_planned=

# plan N: announce the number of tests up front.
plan() { tap_planned=$1; echo "1..$1"; }

# skip_all REASON: skip the whole file (TAP "1..0 # SKIP").
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# bail_out REASON: stop the whole run, something basic is broken.
bail_out() { echo "Bail out! $*"; exit 1; }

diag() { printf '# %s\n' "$@" >&2; }

# note LINE...: TAP comments on stdout, in the test's own output (figures a run reports).
note() { printf '# %s\n' "$@"; }

# ok STATUS DESCRIPTION: STATUS is a shell truth value (0 = pass).
ok() {
	local status=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $tap_n - $*"
	else
		echo "not ok $tap_n - $*"
		tap_failed=$((tap_failed + 1))
	fi
	return "$status"
}

# skip REASON DESCRIPTION: a check that is not made here, for REASON (TAP "# SKIP").
skip() {
	local reason=$1; shift
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $* # SKIP $reason"
}

# behind_nginx: the requests go through the stack's nginx (checks of what nginx itself
# answers are made only there; see FIELDSYNC_FRONT).
behind_nginx() { [ "$FIELDSYNC_FRONT" = nginx ]; }

# is GOT EXPECTED DESCRIPTION
is() {
	local got=$1 expected=$2; shift 2
	if [ "$got" = "$expected" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "got:      '$got'" "expected: '$expected'"
		return 1
	fi
}

# like GOT REGEX DESCRIPTION
like() {
	local got=$1 re=$2; shift 2
	if [[ $got =~ $re ]]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "got:      '$got'" "expected to match: '$re'"
		return 1
	fi
}

# done_testing: print the plan if none was given; exit non-zero on failure.
done_testing() {
	[ -n "$tap_planned" ] || echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# api METHOD PATH [CURL ARGS...]: one request to the stack, signed in as the suite's admin
# (API_TOKEN=<token> api ...: as that token; API_TOKEN=none api ...: without credentials; an
# Authorization or Cookie header among CURL ARGS: only those; see session.sh).
# Sets STATUS (HTTP status), BODY (response body) and HEADERS (response headers, CRs removed).
api() {
	local method=$1 path=$2; shift 2
	local hdr body
	local -a API_AUTH=()
	api_credentials "$@"
	hdr=$(mktemp) body=$(mktemp)
	STATUS=$(curl -sS -o "$body" -D "$hdr" -w '%{http_code}' -X "$method" --max-time 10 \
		${API_AUTH[@]+"${API_AUTH[@]}"} "$@" "$FIELDSYNC_URL$path")
	BODY=$(cat "$body")
	HEADERS=$(tr -d '\r' <"$hdr")
	rm -f "$hdr" "$body"
}

# json METHOD PATH JSON [CURL ARGS...]: api with a JSON body.
json() {
	local method=$1 path=$2 data=$3; shift 3
	api "$method" "$path" -H 'Content-Type: application/json' --data-binary "$data" "$@"
}

# header NAME: the value of response header NAME from the last api call (case-insensitive).
header() {
	printf '%s\n' "$HEADERS" | awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n { sub(/^[^:]*:[ \t]*/, ""); print; exit }'
}

# sql QUERY: run QUERY on the stack's database, unaligned, tuples only.
sql() { psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# require_stack: bail out unless the API answers and takes the suite's token (checked here
# once, so the requests of the test and of its subshells need no check of their own).
require_stack() {
	curl -s -o /dev/null --max-time 5 "$FIELDSYNC_URL/api/clients?limit=1" ||
		bail_out "no stack at $FIELDSYNC_URL (run ./stack up)"
	suite_token_load || bail_out "the suite's admin ($SUITE_LOGIN) cannot sign in at $FIELDSYNC_URL"
}

# wait_until, since, uniq_token, new_branch, uuid and the like: shared by every test.
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# suite_token, auth_header, AUTH_PW, AUTH_HASH, any_addr: the suite's credentials.
# shellcheck source=session.sh
. "$(dirname "${BASH_SOURCE[0]}")/session.sh"
