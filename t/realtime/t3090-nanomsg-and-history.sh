#!/bin/bash
# What feeds a relay and what it remembers, on a private instance that never polls the
# change log (poll_interval 10 min) and keeps 16 events in memory: a nanomsg message,
# "<type> <seq>", makes it deliver (and nothing else does); the message is only a doorbell,
# the event is read from the change log; a repeated seq is delivered once; a message past a
# gap delivers the missed events first, in order; a seq nobody wrote, a malformed message
# and the old JSON form change nothing; heartbeats flow; a cursor older than the ring is served from the
# change log, in full and in order; one below the pruning horizon gets "reload".

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
command -v nanocat >/dev/null || bail_out "nanocat is missing (apt-get install nanomsg-utils)"
branch=$(new_branch)

# The horizon is put back whatever happens.
horizon=$(sql "SELECT pruned_through FROM change_log_horizon")
trap 'sql "UPDATE change_log_horizon SET pruned_through = $horizon" >/dev/null; rt_cleanup' EXIT

before=$(sql "SELECT max(seq) FROM change_log")
private_relay feed 'poll_interval = 600000' 'ring_size = 16' 'heartbeat = 1' ||
	bail_out "the private relay did not start"
pr_subscribe s
wait_ready s || bail_out "no ready event from the private relay"
start=$READY_SEQ after=$(sql "SELECT max(seq) FROM change_log")
ok "$([ "$start" -ge "$before" ] && [ "$start" -le "$after" ]; echo $?)" \
	"it starts at the change log's newest seq ($before <= $start <= $after)"

# ---- only a message makes it deliver
id1=$(insert_client "$branch" one)
ok "$(! wait_until 1.5 has_event s clients:create "$id1"; echo $?)" "a write nobody announces is not delivered (no poll)"
t0=$EPOCHREALTIME
publish "$(seq_of "$id1")" clients:create "$PR_SUB"
ok "$(wait_until 3 has_event s clients:create "$id1"; echo $?)" "announced on nanomsg, it is delivered ($(since "$t0") s)"

# ---- the same seq again: once
publish "$(seq_of "$id1")" clients:create "$PR_SUB"
twice() { [ "$(count_events s clients:create "$id1")" -gt 1 ]; }
ok "$(! wait_until 1 twice; echo $?)" "a repeated seq is delivered once"

# ---- a gap: announce the second of three
id2=$(insert_client "$branch" two)
id3=$(insert_client "$branch" three)
id4=$(insert_client "$branch" four)
publish "$(seq_of "$id3")" clients:create "$PR_SUB"
ok "$(wait_until 3 has_event s clients:create "$id3"; echo $?)" "a message past a gap is delivered"
order=$(events s | awk -F '\t' -v a="$id2" -v b="$id3" -v c="$id4" \
	'index($3, a) { printf "2" } index($3, b) { printf "3" } index($3, c) { printf "4" }')
is "$order" 234 "the missed event comes first, and what committed after it follows, in order"

# ---- the message is only a doorbell: the event (type, branch, row) is read from the change log
idd=$(insert_client "$branch" doorbell)
publish "$(seq_of "$idd")" visits:delete "$PR_SUB"
ok "$(wait_until 3 has_event s clients:create "$idd"; echo $?)" \
	"a message's type is not trusted: the event is the change log's (clients:create)"
ok "$(event_data s clients:create "$idd" | jq -e --arg b "$branch" '.branch == $b and .data.name == "doorbell"' >/dev/null; echo $?)" \
	"... with the row and branch of the change log"

# ---- nonsense changes nothing
head=$(pr_health | jq -r .head)
publish $((head + 1000000)) clients:create "$PR_SUB"
timeout 1.1 nanocat --pub --connect "$PR_SUB" --delay 0.1 --interval 0.2 --data 'not an event' >/dev/null 2>&1 || true
idj=$(insert_client "$branch" json)
timeout 1.1 nanocat --pub --connect "$PR_SUB" --delay 0.1 --interval 0.2 \
	--data "clients:create {\"seq\": $(seq_of "$idj")}" >/dev/null 2>&1 || true
ok "$(! wait_until 1 has_event s clients:create "$idj"; echo $?)" \
	"the old JSON message is not a doorbell (<type> <seq> only): nothing delivered"
id5=$(insert_client "$branch" five)
publish "$(seq_of "$id5")" clients:create "$PR_SUB"
ok "$(wait_until 3 has_event s clients:create "$id5"; echo $?)" "after a seq nobody wrote and a malformed message, events flow"
head=$(pr_health | jq -r .head)
ok "$([ "$head" -ge "$(seq_of "$id5")" ] && [ "$head" -le "$(sql "SELECT max(seq) FROM change_log")" ]; echo $?)" \
	"the head is a real seq, not the one nobody wrote ($head)"
ok "$(events s | awk -F '\t' '$2 != "ready" { print $1 }' | rising; echo $?)" "the stream's seqs rise, none twice"

# ---- heartbeats
hb=$(grep -c '^: heartbeat$' "$RT_TMP/s.sse")
beat() { [ "$(grep -c '^: heartbeat$' "$RT_TMP/s.sse")" -gt "$hb" ]; }
ok "$(wait_until 3 beat; echo $?)" "a heartbeat comment arrives (heartbeat = 1 s)"

# ---- older than the ring: from the change log, all of it, in order
sql "INSERT INTO clients (branch, name) SELECT '$branch', 'bulk ' || i FROM generate_series(1, 40) i" >/dev/null
last=$(sql "SELECT max(seq) FROM change_log")
publish "$last" clients:create "$PR_SUB"
reached() { [ "$(pr_health | jq -r .head)" -ge "$last" ]; }
ok "$(wait_until 3 reached; echo $?)" "40 more events: the ring (16) has moved past the start"
last=$(pr_health | jq -r .head)
pr_subscribe old '' -H "Last-Event-ID: $start"
got_old() { [ "$(events old | tail -n 1 | cut -f1)" = "$last" ]; }
ok "$(wait_until 10 got_old; echo $?)" "a stream from the start catches up to the head"
events old | cut -f1 >"$RT_TMP/old-seqs"
sql "SELECT seq FROM change_log WHERE seq > $start AND seq <= $last ORDER BY seq" >"$RT_TMP/log-seqs"
ok "$(cmp -s "$RT_TMP/old-seqs" "$RT_TMP/log-seqs"; echo $?)" "... with every change log entry after it, in order, once ($(wc -l <"$RT_TMP/log-seqs"))"

# ---- below the horizon: reload
sql "UPDATE change_log_horizon SET pruned_through = greatest(pruned_through, $start)" >/dev/null
pr_subscribe gone '' -H "Last-Event-ID: $((start - 1))"
ok "$(wait_until 3 sub_ended gone; echo $?)" "a cursor below the pruning horizon: the stream ends at once"
data=$(event_data gone reload '')
ok "$(printf '%s' "$data" | jq -e --argjson h "$last" \
	'.code == "history_gone" and .head >= $h and (.message | type == "string")' >/dev/null 2>&1; echo $?)" \
	"... with a reload event {code: history_gone, head, message} ($data)"
pr_subscribe edge '' -H "Last-Event-ID: $start"
ok "$(wait_until 5 has_event edge clients:create "$id1"; echo $?)" \
	"a cursor at the horizon itself is served"

done_testing
