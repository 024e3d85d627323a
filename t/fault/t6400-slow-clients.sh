#!/bin/bash
# Slow clients hold no worker: nginx reads a whole request before a worker sees it and takes
# a whole answer off the worker before the client reads it. Many connections that stop
# half-way through their headers, half-way through a POST's body, or never read a large page
# leave the API answering everyone else at once, and a POST whose body never came in whole
# writes nothing at all.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

require_stack
behind_nginx || skip_all "the buffering checked here is nginx's (FIELDSYNC_FRONT=$FIELDSYNC_FRONT)"

hostport=${FIELDSYNC_URL#http://}
host=${hostport%:*} port=${hostport##*:}
branch=$(new_branch)
# More stalled connections than all the clients workers together have kept slots for
# requests in flight: were any of them passed on, the workers would be waiting on them.
slow=48
fds=() rows=$(mktemp)
trap 'rm -f "$rows"; for fd in "${fds[@]}"; do exec {fd}>&-; done' EXIT

# stall TEXT: a new connection that sends TEXT and then nothing (its fd kept in fds).
stall() {
	local fd
	exec {fd}<>"/dev/tcp/$host/$port" || return 1
	printf '%s' "$1" >&"$fd" || return 1
	fds+=("$fd")
}

# reads_answer DESCRIPTION: 20 GETs of row $id, each answered 200 within curl's 10 s.
reads_answer() {
	local failed=0
	for ((r = 0; r < 20; r++)); do
		api GET "/api/clients?id=$id"
		[ "$STATUS" = 200 ] || failed=$((failed + 1))
	done
	is "$failed" 0 "$1"
}

# A POST whose body stops half-way: its name must never appear.
name="Half body $(uniq_token)"
body="{\"branch\":\"$branch\",\"name\":\"$name\"}"
opened=0
for ((i = 0; i < slow; i++)); do
	stall "POST /api/clients HTTP/1.1"$'\r\n'"Host: $hostport"$'\r\n'"Authorization: Bearer $SUITE_TOKEN"$'\r\n'"Content-Type: application/json"$'\r\n'"Content-Length: $((${#body} * 2))"$'\r\n\r\n'"$body" &&
		opened=$((opened + 1))
done
# Requests that stop in the middle of their headers.
for ((i = 0; i < slow; i++)); do
	stall "GET /api/clients?limit=1 HTTP/1.1"$'\r\n'"Host: $hostport"$'\r\n'"Authorization: Bea" &&
		opened=$((opened + 1))
done
is "$opened" $((2 * slow)) "$((2 * slow)) connections stalled: half a body or half the headers"

# Meanwhile every request of a whole client is answered, well inside curl's 10 s.
json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"Whole $(uniq_token)\"}"
is "$STATUS" 201 "... a whole POST is created meanwhile"
id=$(jq -r .id <<<"$BODY")
api GET "/api/clients?id=$id"
is "$STATUS $(jq -r .id <<<"$BODY")" "200 $id" "... and read back"
reads_answer "... 20 more reads, none refused or timed out"

# A client that asks for a large page and never reads it: the worker hands it to nginx
# and goes on.
jq -cn --arg b "$branch" '[range(1000) | {branch: $b, name: "Bulk \(.)", notes: ("x" * 400)}]' >"$rows"
api POST /api/clients -H 'Content-Type: application/json' --data-binary "@$rows"
is "$STATUS" 201 "1000 rows of about 500 bytes for a large page"
api GET "/api/clients?branch=$branch&limit=1000"
ok "$([ "$STATUS" = 200 ] && [ "${#BODY}" -gt 400000 ] && echo 0 || echo 1)" \
	"... the page of them is ${#BODY} bytes (more than nginx keeps in memory for an answer)"
for ((i = 0; i < 8; i++)); do
	stall "GET /api/clients?branch=$branch&limit=1000 HTTP/1.1"$'\r\n'"Host: $hostport"$'\r\n'"Authorization: Bearer $SUITE_TOKEN"$'\r\n\r\n' ||
		break
done
is "$i" 8 "8 clients ask for that page and read none of it"
reads_answer "... 20 reads meanwhile, none refused or timed out"
api GET /api/health
is "$STATUS" 200 "... and health says ok"

# The stalled POSTs end without their bodies: nothing of them was written, then or now.
for fd in "${fds[@]}"; do exec {fd}>&-; done
fds=()
is "$(sql "SELECT count(*) FROM clients WHERE name = '$name'")" 0 \
	"no row from a POST whose body never came in whole"
is "$(sql "SELECT count(*) FROM change_log WHERE resource = 'clients' AND data ->> 'name' = '$name'")" 0 \
	"... and no change-log entry, so no event"

done_testing
