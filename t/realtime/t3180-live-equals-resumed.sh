#!/bin/bash
# Live delivery from the workers' messages (a small transaction's entries travel whole and
# the relay frames them without reading the change log) sends exactly the bytes a resume
# from the change log sends: the same events, each frame byte for byte, in the same
# order, also where the two paths mix (a bulk of doorbells, a row written with psql that
# only the log knows, a row with an owner, an update and a delete). The relay counts the
# events it took from messages (fieldsync_relay_events_live_total).

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
load_declarations
branch=$(new_branch)

# live_total: the relay's count of events delivered from messages ("" when unreadable).
live_total() {
	curl -s --max-time 3 "$FIELDSYNC_URL/events/metrics" |
		awk '$1 == "fieldsync_relay_events_live_total" { print $2 }'
}
# frames NAME: the raw SSE frames of NAME's events of this test's branch, ready left out.
frames() {
	awk -v b="\"branch\" : \"$branch\"" '
		/^$/ { if (keep) printf "%s\n", block; block = ""; keep = 0; next }
		{ block = block $0 "\n" }
		/^data: / && index($0, b) { keep = 1 }
	' "$RT_TMP/$1.sse"
}

subscribe live "$FIELDSYNC_URL/events?branch=$branch"
wait_ready live || bail_out "no ready event on GET /events"
start=$READY_SEQ
before=$(live_total)
ok "$([ -n "$before" ]; echo $?)" "the relay counts live events ($before so far)"

create clients "{\"branch\":\"$branch\",\"name\":\"Live \\\"quoted\\\" é\",\"notes\":\"two\\nlines\"}" ||
	bail_out "setup"
c1=$ID
json PUT /api/clients "{\"id\":\"$c1\",\"phone\":\"+1 555\"}"
is "$STATUS" 200 "an update"
sample stock-requests "$branch"
create stock-requests "$SAMPLE" || bail_out "setup: a stock request"
s1=$ID
json POST /api/clients "$(jq -cn --arg b "$branch" '[range(3) | {branch: $b, name: "Small bulk \(.)"}]')"
is "$STATUS" 201 "a bulk of 3 (sent whole)"
json POST /api/clients "$(jq -cn --arg b "$branch" '[range(40) | {branch: $b, name: "Big bulk \(.)"}]')"
is "$STATUS" 201 "a bulk of 40 (doorbells: read from the log)"
insert_client "$branch" "From psql" >/dev/null
create clients "{\"branch\":\"$branch\",\"name\":\"After psql\"}" || bail_out "setup"
api DELETE "/api/clients?id=$c1"
is "$STATUS" 204 "a delete"
create clients "{\"branch\":\"$branch\",\"name\":\"Last\"}" || bail_out "setup"
last=$ID

ok "$(wait_until 10 has_event live clients:create "$last"; echo $?)" "the live stream got the last event"
after=$(live_total)
ok "$((after - before >= 5 ? 0 : 1))" "at least the five single writes came from messages ($((after - before)))"

subscribe resumed "$FIELDSYNC_URL/events?branch=$branch" -H "Last-Event-ID: $start"
ok "$(wait_until 10 has_event resumed clients:create "$last"; echo $?)" "the resumed stream got the last event"
frames live >"$RT_TMP/live.frames"
frames resumed >"$RT_TMP/resumed.frames"
n=$(grep -c '^id: ' "$RT_TMP/live.frames")
ok "$((n >= 50 ? 0 : 1))" "every event of the branch came live ($n; 50 writes and the stock request's parents)"
if cmp -s "$RT_TMP/live.frames" "$RT_TMP/resumed.frames"; then
	ok 0 "live and resumed frames are the same bytes"
else
	ok 1 "live and resumed frames are the same bytes"
	diag "$(diff "$RT_TMP/live.frames" "$RT_TMP/resumed.frames" | head -n 20)"
fi
ok "$(grep '^id: ' "$RT_TMP/live.frames" | cut -c5- | rising; echo $?)" "live ids rise"
ok "$(grep -q "\"id\" : \"$s1\"" "$RT_TMP/live.frames"; echo $?)" "the stock request (a row with an owner) came live"

done_testing
