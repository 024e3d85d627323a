#!/bin/bash
# The relay goes away and comes back: writes made meanwhile all succeed, and a subscriber
# resuming with its Last-Event-ID receives exactly those events, in order, once each; the
# changes feed agrees. While the relay is down nginx answers /events with JSON 503.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
N=200
STACK=$FIELDSYNC_TOP/stack
branch=$(new_branch)

# Whatever happens, leave the relay running for the rest of the suite.
restart_relay() { "$STACK" relay-start >/dev/null 2>&1 || diag "could not restart the relay"; }
trap 'restart_relay; rt_cleanup' EXIT

subscribe before "$FIELDSYNC_URL/events"
wait_ready before || bail_out "no ready event on GET /events"
last=$READY_SEQ

"$STACK" relay-stop >/dev/null 2>&1
ok "$(wait_until 10 sub_ended before; echo $?)" "stopping the relay ends its streams"
api GET /events/health
is "$STATUS" 503 "with the relay down, /events/health answers 503"
like "$(printf '%s' "$BODY" | jq -r '.error.code' 2>/dev/null)" '^service_unavailable$' "... as JSON"

fails=0
: >"$RT_TMP/written"
for i in $(seq 1 "$N"); do
	id=$(uuid)
	json POST /api/clients "{\"id\":\"$id\",\"branch\":\"$branch\",\"name\":\"While away $i\"}"
	if [[ $STATUS == 2?? ]]; then echo "$id" >>"$RT_TMP/written"; else fails=$((fails + 1)); fi
done
is "$fails" 0 "all $N writes succeed while the relay is down"

restart_relay
ok "$("$STACK" status | grep -q '^relay: running'; echo $?)" "./stack relay-start brings it back"

subscribe after "$FIELDSYNC_URL/events" -H "Last-Event-ID: $last"
got_all() { [ "$(count_events after clients:create "\"branch\" : \"$branch\"")" -ge "$N" ]; }
ok "$(wait_until 15 got_all; echo $?)" "the resumed stream catches up with the $N writes"

events after | awk -F '\t' -v b="\"branch\" : \"$branch\"" 'index($3, b)' >"$RT_TMP/ours"
cut -f3 "$RT_TMP/ours" | jq -r .id >"$RT_TMP/streamed"
ok "$(cmp -s "$RT_TMP/written" "$RT_TMP/streamed"; echo $?)" \
	"exactly those $N events, in the order they were written, once each"
ok "$(events after | cut -f1 | rising; echo $?)" "every seq after the resume point, rising, none twice"
first=$(events after | head -n 1 | cut -f1)
ok "$([ -n "$first" ] && [ "$first" -gt "$last" ]; echo $?)" "nothing at or before Last-Event-ID $last (first: $first)"
ok "$(! has_event after ready; echo $?)" "a resumed stream has no ready event"

upto=$(tail -n 1 "$RT_TMP/ours" | cut -f1)
events after | awk -F '\t' -v u="${upto:-0}" '$1 <= u { print $1 }' >"$RT_TMP/stream-seqs"
changes_seqs "$last" "${upto:-0}" >"$RT_TMP/feed-seqs"
ok "$(cmp -s "$RT_TMP/stream-seqs" "$RT_TMP/feed-seqs"; echo $?)" \
	"GET /api/changes?since=$last lists the same seqs as the stream"

done_testing
