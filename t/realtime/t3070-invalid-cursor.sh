#!/bin/bash
# A resume point that is not a whole number, or lies beyond the newest event, gets one
# "error" event (code invalid_last_event_id) and the stream ends at once: no hang. A valid
# one at the head is accepted and the stream stays open.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
head=$(relay_head)

# bad NAME WHAT CURL-ARGS...: the stream ends within 3 s with exactly one error event.
bad() {
	local name=$1 what=$2 data
	shift 2
	subscribe "$name" "$@"
	if wait_until 3 sub_ended "$name"; then
		ok 0 "$what: the stream ends at once"
	else
		ok 1 "$what: the stream ends at once"
		unsubscribe "$name"
	fi
	data=$(event_data "$name" error '')
	if [ "$(events "$name" | wc -l)" = 1 ] && printf '%s' "$data" | jq -e \
		'.error.code == "invalid_last_event_id" and (.error.message | type == "string")' >/dev/null 2>&1; then
		ok 0 "$what: one error event, invalid_last_event_id"
	else
		ok 1 "$what: one error event, invalid_last_event_id"
		diag "stream: $(head -c 400 "$RT_TMP/$name.sse")"
	fi
}

bad abc "Last-Event-ID: abc" "$FIELDSYNC_URL/events" -H 'Last-Event-ID: abc'
bad above "Last-Event-ID above the head" "$FIELDSYNC_URL/events" -H "Last-Event-ID: $((head + 1000000))"
bad negative "Last-Event-ID: -1" "$FIELDSYNC_URL/events" -H 'Last-Event-ID: -1'
bad huge "a 30-digit Last-Event-ID" "$FIELDSYNC_URL/events" -H 'Last-Event-ID: 123456789012345678901234567890'
bad since "since=abc" "$FIELDSYNC_URL/events?since=abc"
bad since_empty "since= (empty)" "$FIELDSYNC_URL/events?since="
bad types_too "since=abc with types=" "$FIELDSYNC_URL/events?since=abc&types=clients:*"

# A valid cursor: no error, the stream stays open.
subscribe good "$FIELDSYNC_URL/events" -H "Last-Event-ID: $head"
ok "$(! wait_until 1.5 sub_ended good; echo $?)" "Last-Event-ID at the head: the stream stays open"
ok "$(! has_event good error; echo $?)" "... with no error event"
# The header wins over since=.
subscribe both "$FIELDSYNC_URL/events?since=abc" -H "Last-Event-ID: $head"
ok "$(! wait_until 1.5 sub_ended both; echo $?)" "a valid Last-Event-ID wins over a bad since="

done_testing
