#!/bin/bash
# The unit tests and a resource binary rebuilt with AddressSanitizer and UBSan: every
# unit test passes without a report (the relay's delivery threads under ThreadSanitizer too), and CGI requests through the real engine against
# the stack's database (reads, writes, errors, conflicts) leave no report either, nor do
# parallel GETs through the same binary as a FastCGI pool (the request loop and its reads in
# flight, which plain CGI never runs).
. "$(dirname "$0")/../lib/tap.sh"

top=$FIELDSYNC_TOP
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
cflags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$top/lib -I$top/t/unit
	$(pkg-config --cflags libpq libcjson liburiparser inih nanomsg libsodium libsystemd)"
libs="$(pkg-config --libs libpq libcjson liburiparser inih nanomsg libsodium libsystemd) -lfcgi -lm"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98

# build NAME SOURCE...: compile with the sanitizers into $out/NAME.
build() {
	local name=$1; shift
	# shellcheck disable=SC2086
	cc $san $cflags -DGOLDEN_DIR="\"$top/t/unit/golden\"" -o "$out/$name" "$@" \
		"$top"/lib/*.c $libs 2>"$out/$name.err"
}

for t in formats query validate sql errors config perm; do
	if build "test-$t" "$top/t/unit/test-$t.c"; then
		"$out/test-$t" >"$out/test-$t.out" 2>&1
		rc=$?
		ok $rc "test-$t passes under ASan and UBSan" || sed 's/^/# /' "$out/test-$t.out" | tail -20
	else
		ok 1 "test-$t builds with sanitizers" || sed 's/^/# /' "$out/test-$t.err"
	fi
done

# The relay's frames and its delivery threads, under the same two; the threads under
# ThreadSanitizer as well (the helpers' start and end of every run, and their slices).
relay_test() {
	local name=$1 flags=$2; shift 2
	# shellcheck disable=SC2086
	if cc $flags -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -I"$top/relay" -I"$top/t/unit" \
		-o "$out/$name" "$@" 2>"$out/$name.err"; then
		"$out/$name" >"$out/$name.out" 2>&1
		ok $? "$name passes" || sed 's/^/# /' "$out/$name.out" | tail -20
	else
		ok 1 "$name builds" || sed 's/^/# /' "$out/$name.err"
	fi
}
relay_test test-frame-asan "$san" "$top/t/unit/test-frame.c" "$top/relay/frame.c"
relay_test test-pool-asan "$san" "$top/t/unit/test-pool.c" "$top/relay/pool.c"
relay_test test-pool-tsan "-fsanitize=thread -fno-omit-frame-pointer -g -O1" \
	"$top/t/unit/test-pool.c" "$top/relay/pool.c"

if [ -z "${DATABASE_URL:-}" ]; then
	echo "# no DATABASE_URL: the engine part is skipped"
	done_testing
	exit
fi

# The engine's requests are signed in as the suite's admin (FastCGI's HTTP_AUTHORIZATION).
suite_token_load || bail_out "the suite's admin cannot sign in at $FIELDSYNC_URL (run ./stack up)"
auth=$(auth_param)

build clients "$top/cgi-bin/clients.c"
ok $? "clients.fcgi builds with sanitizers" || sed 's/^/# /' "$out/clients.err"

# cgi METHOD QUERY [BODY] [VAR=VALUE...]: one plain-CGI request; sets CGI_OUT and CGI_RC.
cgi() {
	local method=$1 query=$2 body=${3:-}; shift 3 2>/dev/null || shift $#
	CGI_OUT=$(printf '%s' "$body" | env "$auth" "$@" REQUEST_METHOD="$method" QUERY_STRING="$query" \
		CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} DOCUMENT_URI=/api/clients \
		"$out/clients" 2>&1)
	CGI_RC=$?
}

branch=$(new_branch)
id=$(uuid)
cgi POST "" "{\"id\":\"$id\",\"branch\":\"$branch\",\"name\":\"Asan\"}"
ok $((CGI_RC)) "POST one row, clean exit" && like "$CGI_OUT" "Status: 201" "POST answers 201"
cgi POST "" "[{\"branch\":\"$branch\",\"name\":\"B\"},{\"branch\":\"$branch\",\"name\":\"C\"}]"
like "$CGI_OUT" "Status: 201" "bulk POST under sanitizers"
cgi GET "branch=$branch&limit=1&status=prospect"
ok $CGI_RC "GET list with a filter, clean exit"
like "$CGI_OUT" 'Link: <' "the page links to the next"
cgi PUT "" "{\"id\":\"$id\",\"version\":1,\"phone\":\"1\"}" HTTP_IDEMPOTENCY_KEY="k-$id"
like "$CGI_OUT" "Status: 200" "PUT with an idempotency key"
cgi PUT "" "{\"id\":\"$id\",\"version\":1,\"phone\":\"1\"}" HTTP_IDEMPOTENCY_KEY="k-$id"
like "$CGI_OUT" "Idempotent-Replay: true" "the replay of that PUT"
cgi PUT "" "{\"id\":\"$id\",\"version\":1,\"phone\":\"2\"}"
like "$CGI_OUT" "version_conflict" "a stale PUT"
for bad in '{"branch":' '[]' '[{"branch":"x","name":"a"},{"branch":"x"}]' '{"branch":"x","name":"a","status":"no"}' \
	'{"branch":"x","name":"a","zz":1}' '"str"' "{\"branch\":\"x\",\"name\":\"a\",\"distributor_id\":\"$id\"}"; do
	cgi POST "" "$bad"
	ok $((CGI_RC)) "bad body $bad: error answered, clean exit" || diag "$CGI_OUT"
	like "$CGI_OUT" 'Status: 4[0-9][0-9]' "bad body $bad: a 4xx"
done
cgi GET "after=garbage&limit=2"
like "$CGI_OUT" "Status: 400" "a garbage cursor is a 400"
cgi PATCH "" ""
like "$CGI_OUT" "Status: 405" "PATCH is a 405"
cgi DELETE "id=$id" ""
ok $CGI_RC "DELETE, clean exit" && like "$CGI_OUT" "Status: 204" "DELETE answers 204"

# FastCGI mode: the request loop with GETs by id in flight (lib/fs_pg_stream.c, fs_read.c,
# fs_serve.c), one worker taking 40 connections at once, pages among the GETs. cgi-fcgi sends
# one request a connection, with the environment as its parameters.
if command -v cgi-fcgi >/dev/null; then
	cgi POST "" "$(jq -nc --arg b "$branch" '[range(6)] | map({branch: $b, name: "F\(.)"})')"
	like "$CGI_OUT" "Status: 201" "six rows for the FastCGI part"
	mapfile -t fids < <(sed '1,/^\r\{0,1\}$/d' <<<"$CGI_OUT" | jq -r '.[].id')
	fids+=("$(uuid)")	# and one of no row
	fsock=$out/clients.sock
	"$out/clients" --socket "$fsock" --workers 1 >"$out/fcgi.log" 2>&1 &
	fpid=$!
	wait_until 10 test -S "$fsock"
	ok $? "the sanitized clients.fcgi listens on a socket"
	# fcgi QUERY FILE: one GET through the socket into FILE.
	fcgi() {
		env "$auth" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET QUERY_STRING="$1" \
			SCRIPT_NAME=/api/clients DOCUMENT_URI=/api/clients REQUEST_URI="/api/clients?$1" \
			timeout 20 cgi-fcgi -bind -connect "$fsock" >"$2" 2>&1
	}
	n=0 good=0
	for round in 1 2 3 4 5 6; do
		pids=()
		for id in "${fids[@]}"; do
			fcgi "id=$id" "$out/f.$round.$id" &
			pids+=($!)
		done
		fcgi "branch=$branch&limit=3" "$out/f.$round.page" &
		wait "${pids[@]}" $!
		for id in "${fids[@]}"; do
			n=$((n + 1))
			if [ "$id" = "${fids[-1]}" ]; then
				grep -q "Status: 404" "$out/f.$round.$id" && good=$((good + 1))
			else
				grep -q "\"id\":\"$id\"" "$out/f.$round.$id" && good=$((good + 1))
			fi
		done
		n=$((n + 1))
		[ "$(grep -o '"branch":' "$out/f.$round.page" | wc -l)" = 3 ] && good=$((good + 1))
	done
	is "$good" "$n" "FastCGI: each of $n GETs (by id, of no row, pages) at once got its own answer"
	kill -TERM "$fpid"
	wait "$fpid"
	ok $? "the FastCGI pool stops cleanly"
	! grep -E "Sanitizer|runtime error" "$out/fcgi.log" | head -n 20 | sed 's/^/# /' | grep -q .
	ok $? "no sanitizer report from the FastCGI worker"
fi

# The changes feed, and a write that publishes its events, under the sanitizers.
build changes "$top/cgi-bin/changes.c"
ok $? "changes.fcgi builds with sanitizers" || sed 's/^/# /' "$out/changes.err"
feed() {
	CGI_OUT=$(env "$auth" REQUEST_METHOD=GET QUERY_STRING="$1" "$out/changes" </dev/null 2>&1)
	CGI_RC=$?
}
feed ""
ok $CGI_RC "feed position, clean exit" && like "$CGI_OUT" '"next":[0-9]+' "the position has next"
head=$(sed -n 's/.*"next":\([0-9]*\).*/\1/p' <<<"$CGI_OUT")
feed "since=$((head > 3 ? head - 3 : 0))&limit=2&types=clients:*,visits:create&branch=$branch"
ok $CGI_RC "feed page with types and branch, clean exit" && like "$CGI_OUT" '"more":(true|false)' "a page"
for bad in "since=-1" "since=x" "types=clients" "types=,clients:*" "types=clients:*," "types=Clients:*" \
	"types=clients:create,,visits:*" "since=99999999999"; do
	feed "$bad"
	ok $CGI_RC "feed $bad: clean exit" && like "$CGI_OUT" 'Status: 4[01][0-9]' "feed $bad: refused"
done
sock="ipc://$out/events.ipc"
printf '[events]\npublish = %s\n' "$sock" >"$out/events.conf"
cgi POST "" "{\"branch\":\"$branch\",\"name\":\"Published\"}" FIELDSYNC_CONF="$out/events.conf"
ok $CGI_RC "a write that publishes (no subscriber), clean exit" && like "$CGI_OUT" "Status: 201" "it answers 201"

# Sessions: a sign-in refused, no session, a malformed token, under the sanitizers.
build session "$top/cgi-bin/session.c"
ok $? "session.fcgi builds with sanitizers" || sed 's/^/# /' "$out/session.err"
login() {
	CGI_OUT=$(printf '%s' "$1" | env "${@:2}" REQUEST_METHOD=POST QUERY_STRING= \
		CONTENT_TYPE=application/json CONTENT_LENGTH=${#1} DOCUMENT_URI=/api/session \
		"$out/session" 2>&1)
	CGI_RC=$?
}
login '{"login":"nobody-t0100","password":"wrong password"}'
ok $CGI_RC "a refused sign-in, clean exit" && like "$CGI_OUT" "Status: 401" "it answers 401"
login '{"login":"x","login":"y","password":"p"}'
ok $CGI_RC "a sign-in with a repeated key, clean exit" && like "$CGI_OUT" "Status: 400" "it answers 400"
CGI_OUT=$(env REQUEST_METHOD=GET QUERY_STRING= HTTP_AUTHORIZATION="Bearer ${RANDOM}bogus" \
	"$out/session" </dev/null 2>&1)
ok $? "GET with a bogus token, clean exit" && like "$CGI_OUT" "Status: 401" "it answers 401"
done_testing
