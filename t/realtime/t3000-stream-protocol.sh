#!/bin/bash
# GET /events through nginx (signed in as the suite's admin): the stream's headers and first
# lines, readiness, and the JSON answers around it (404, 405, the preflight, 400 for a bad
# types= or an unknown parameter). Without a session: t3120.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay

api GET /events/health
is "$STATUS" 200 "GET /events/health answers 200"
ok "$(printf '%s' "$BODY" | jq -e '(.head | type == "number" and . >= 0) and (.clients | type == "number")
	and (.ring | type == "number")' >/dev/null 2>&1; echo $?)" \
	"health is {head, clients, ring}: $BODY"
head=$(printf '%s' "$BODY" | jq -r .head)

# The stream's headers, through nginx and straight from the relay (nginx consumes X-Accel-*).
curl -sN -D "$RT_TMP/headers" -o "$RT_TMP/first.sse" --max-time 1 -H "$(auth_header)" "$FIELDSYNC_URL/events" || true
hdr=$(tr -d '\r' <"$RT_TMP/headers")
like "$hdr" $'^HTTP/1.1 200' "GET /events answers 200"
like "$hdr" $'\n[Cc]ontent-[Tt]ype: text/event-stream' "Content-Type: text/event-stream"
like "$hdr" $'\n[Cc]ache-[Cc]ontrol: no-store' "Cache-Control: no-store"
if [ -S "${FIELDSYNC_RELAY_SOCKET:-}" ]; then
	curl -sN -D "$RT_TMP/direct" -o /dev/null --max-time 1 -H "$(auth_header)" \
		--unix-socket "$FIELDSYNC_RELAY_SOCKET" http://relay/events || true
	like "$(tr -d '\r' <"$RT_TMP/direct")" $'\n[Xx]-[Aa]ccel-[Bb]uffering: no' \
		"the relay sends X-Accel-Buffering: no"
else
	ok 1 "the relay socket ${FIELDSYNC_RELAY_SOCKET:-(unset)} exists"
fi

# First the retry hint, then id/event/data of "ready" at the head.
first=$(head -n 6 "$RT_TMP/first.sse")
like "$first" $'^retry: 2000\n\nid: [0-9]+\nevent: ready\ndata: \\{"seq":[0-9]+\\}$' \
	"the stream opens with retry: 2000, then a ready event"
ready_id=$(sed -n 's/^id: //p' "$RT_TMP/first.sse" | head -n 1)
ready_seq=$(sed -n 's/^data: //p' "$RT_TMP/first.sse" | head -n 1 | jq -r .seq)
ok "$([ "$ready_id" = "$ready_seq" ] && [ "$ready_id" -ge "$head" ]; echo $?)" \
	"ready carries id = data.seq = the head ($ready_id, $ready_seq, health said $head)"

# A stream stays open: it has not ended after a second (curl hit --max-time, exit 28).
rc=0
curl -sN -o /dev/null --max-time 1 -H "$(auth_header)" "$FIELDSYNC_URL/events" || rc=$?
is "$rc" 28 "an idle stream stays open"

# JSON around the stream.
is_json_error() {
	local st=$1 code=$2 d=$3
	if [ "$STATUS" = "$st" ] && [ "$(printf '%s' "$BODY" | jq -r '.error.code' 2>/dev/null)" = "$code" ] &&
		[ "$(printf '%s' "$BODY" | jq -r '.error.status' 2>/dev/null)" = "$st" ] &&
		[[ $(header Content-Type) == application/json* ]]; then
		ok 0 "$d"
	else
		ok 1 "$d"
		diag "HTTP $STATUS $(header Content-Type): $BODY"
	fi
}
api GET /events/nothing
is_json_error 404 not_found "an unknown path under /events is a JSON 404"
api POST /events
is_json_error 405 method_not_allowed "POST /events is a JSON 405"
like "$(header Allow)" '^GET, OPTIONS$' "... with Allow: GET, OPTIONS"
api OPTIONS /events -H "Access-Control-Request-Method: GET" -H "Access-Control-Request-Headers: authorization"
is "$STATUS" 204 "the preflight of a stream read with fetch is answered, without a session"
like "$(header Access-Control-Allow-Headers)" 'Authorization' "... letting Authorization through"
api GET '/events?types=clients'
is_json_error 400 invalid_parameter "types=clients (no action) is a JSON 400"
api GET '/events?types=clients:*,'
is_json_error 400 invalid_parameter "types= with an empty entry is a JSON 400"
api GET '/events?limit=5'
is_json_error 400 unknown_parameter "an unknown parameter is a JSON 400"
api GET '/events?since=1&since=2'
is_json_error 400 invalid_parameter "a repeated parameter is a JSON 400"

done_testing
