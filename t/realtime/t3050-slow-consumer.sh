#!/bin/bash
# A subscriber that stops reading (its curl stopped with SIGSTOP) during a burst of about
# 12 MB of events is cut off by the relay (a final "resume" event, or the connection
# closed), while a second subscriber keeps receiving every event within a second of its
# commit (the POST's answer) and the relay stays healthy.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
POSTS=20 ROWS=100 LIMIT=1.0
branch=$(new_branch)
notes=$(head -c 6000 /dev/zero | tr '\0' 'n')

subscribe slow "$FIELDSYNC_URL/events"
subscribe fast "$FIELDSYNC_URL/events"
{ wait_ready slow && wait_ready fast; } || bail_out "no ready event on GET /events"
RELAY_LOG=$FIELDSYNC_VAR/log/relay.log
cutoffs_before=$(grep -c 'slow consumer' "$RELAY_LOG" 2>/dev/null || true)
kill -STOP "${SUB_PID[slow]}"

late=0 worst=0
for p in $(seq 1 "$POSTS"); do
	jq -cn --arg b "$branch" --arg n "$notes" --argjson p "$p" --argjson rows "$ROWS" \
		'[range($rows) | {branch: $b, name: "Burst \($p).\(.)", notes: $n}]' >"$RT_TMP/body"
	t0=$EPOCHREALTIME
	api POST /api/clients -H 'Content-Type: application/json' --data-binary "@$RT_TMP/body"
	posted=$(since "$t0") t0=$EPOCHREALTIME
	[ "$STATUS" = 201 ] || { diag "POST $p answered $STATUS"; late=$((late + 1)); continue; }
	last_id=$(printf '%s' "$BODY" | jq -r '.[-1].id')
	if wait_until 5 grep -qF "$last_id" "$RT_TMP/fast.sse"; then
		took=$(since "$t0")
		diag "burst $p: POST took $posted s, its last event arrived $took s after the answer"
		at_most "$took" "$worst" || worst=$took
		at_most "$took" "$LIMIT" || late=$((late + 1))
	else
		late=$((late + 1))
	fi
done
is "$late" 0 "the reading subscriber had each of $POSTS bursts of $ROWS events within $LIMIT s of its commit (worst $worst s)"
burst_events() { [ "$(count_events fast clients:create "\"branch\" : \"$branch\"")" -ge $((POSTS * ROWS)) ]; }
ok "$(wait_until 10 burst_events; echo $?)" "... all $((POSTS * ROWS)) of them"

# The relay cuts the stopped one off (behind for 10 s; then 5 s to drain its last event).
cut_off() { [ "$(grep -c 'slow consumer' "$RELAY_LOG" 2>/dev/null)" -gt "${cutoffs_before:-0}" ]; }
ok "$(wait_until 40 cut_off; echo $?)" "the relay cuts off the stream that stopped reading (its log says so)"
kill -CONT "${SUB_PID[slow]}"
ok "$(wait_until 20 sub_ended slow; echo $?)" "once it reads again, its stream ends (no hang)"

resumes=$(count_events slow resume '')
events slow | awk -F '\t' '$2 != "ready" && $2 != "resume" { print $1 }' >"$RT_TMP/slow-seqs"
ok "$(rising <"$RT_TMP/slow-seqs"; echo $?)" "what it did get is in order, no duplicates ($(wc -l <"$RT_TMP/slow-seqs") events)"
if [ "$resumes" -gt 0 ]; then
	data=$(event_data slow resume '')
	ok "$(printf '%s' "$data" | jq -e --argjson l "$(tail -n 1 "$RT_TMP/slow-seqs")" \
		'.reason == "slow_consumer" and .last_event_id == $l' >/dev/null 2>&1; echo $?)" \
		"it ends with resume {reason: slow_consumer, last_event_id: its last event} ($data)"
	is "$(events slow | tail -n 1 | cut -f2)" resume "... as its last event"
else
	ok 0 "it was closed before its resume event could be written (allowed)"
	ok "$([ "$(wc -l <"$RT_TMP/slow-seqs")" -lt $((POSTS * ROWS)) ]; echo $?)" "... and it did not get the whole burst"
fi

# The reading subscriber is still served promptly after the burst.
t0=$EPOCHREALTIME
json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"After the burst\"}"
id=$(printf '%s' "$BODY" | jq -r .id 2>/dev/null)
if wait_until 5 has_event fast clients:create "$id"; then took=$(since "$t0"); else took=5; fi
ok "$(at_most "$took" "$LIMIT"; echo $?)" "after the burst an event still reaches it in $took s"
ok "$(sub_running fast; echo $?)" "the reading subscriber's stream is still open"
is "$(curl -s -o /dev/null -w '%{http_code}' "$FIELDSYNC_URL/events/health")" 200 "the relay is healthy"

done_testing
