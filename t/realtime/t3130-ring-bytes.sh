#!/bin/bash
# The relay's ring is bounded in bytes ([relay] ring_bytes) as well as in events: a relay
# whose ring holds 64 KiB gets 40 events of about 20 KB and one of 100 KB (larger than
# the whole ring). The ring never holds more than its bound, the large event is not kept
# at all, and streams resumed from before, inside and after the burst still get every
# event exactly once, in order (what the ring let go comes from the change log).

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
RING_BYTES=65536 N=40
branch=$(new_branch)
private_relay rb "ring_bytes = $RING_BYTES" || bail_out "no private relay"

pr_subscribe live
wait_ready live || bail_out "no ready event on the private relay"
start=$READY_SEQ

# 40 events of about 20 KB each, one transaction per row; then one of 100 KB.
for i in $(seq 1 "$N"); do
	sql "INSERT INTO clients (branch, name, notes) VALUES ('$branch', 'Large $i', repeat('n', 20000))" >/dev/null
done
big=$(sql "INSERT INTO clients (branch, name, notes) VALUES ('$branch', 'Huge', repeat('h', 100000)) RETURNING id")
last=$(seq_of "$big")
total=$((N + 1))

got_all() { [ "$(count_events "$1" clients:create "\"branch\" : \"$branch\"")" -ge "$2" ]; }
ok "$(wait_until 15 got_all live "$total"; echo $?)" "the live stream got all $total events"
h=$(pr_health)
diag "private relay health after the burst: $h"
is "$(printf '%s' "$h" | jq -r .head)" "$last" "the relay's head is the huge event's seq"
is "$(printf '%s' "$h" | jq -r .ring)" 0 "the event larger than ring_bytes is not kept (the ring is empty)"
is "$(printf '%s' "$h" | jq -r .ring_bytes)" 0 "... and holds no bytes"

# A small event after it: the ring covers from the huge one on.
small=$(sql "INSERT INTO clients (branch, name) VALUES ('$branch', 'Small') RETURNING id")
ok "$(wait_until 10 has_event live clients:create "$small"; echo $?)" "an event after it arrives"
h=$(pr_health)
is "$(printf '%s' "$h" | jq -r .ring)" 1 "... and is held in the ring"
total=$((total + 1))

# Twenty more large ones: the ring evicts by bytes and stays within its bound.
for i in $(seq 1 20); do
	sql "INSERT INTO clients (branch, name, notes) VALUES ('$branch', 'More $i', repeat('m', 20000))" >/dev/null
done
total=$((total + 20))
ok "$(wait_until 15 got_all live "$total"; echo $?)" "the live stream got those too ($total in all)"
h=$(pr_health)
diag "after twenty more: $h"
ring=$(printf '%s' "$h" | jq -r .ring) bytes=$(printf '%s' "$h" | jq -r .ring_bytes)
ok "$([ "$bytes" -le "$RING_BYTES" ] && [ "$bytes" -gt $((RING_BYTES / 2)) ]; echo $?)" \
	"the ring holds $bytes bytes: full, and within ring_bytes ($RING_BYTES)"
ok "$([ "$ring" -ge 1 ] && [ "$ring" -lt 20 ]; echo $?)" "... in $ring events: the byte bound, not ring_size, evicted"

# Resumed streams: from before the burst, from inside it (the first large event), and from
# the huge one. Each gets exactly what followed its cursor, in order, none twice.
expected() { sql "SELECT seq FROM change_log WHERE seq > $1 AND branch = '$branch' ORDER BY seq"; }
first=$(sql "SELECT min(seq) FROM change_log WHERE branch = '$branch'")
for cursor in "$start" "$first" "$last"; do
	name=resume-$cursor
	pr_subscribe "$name" "" -H "Last-Event-ID: $cursor"
	want=$(expected "$cursor" | wc -l)
	ok "$(wait_until 15 got_all "$name" "$want"; echo $?)" "resumed after $cursor: all $want events arrive"
	ids_of "$name" "\"branch\" : \"$branch\"" >"$RT_TMP/$name.got"
	expected "$cursor" >"$RT_TMP/$name.want"
	ok "$(cmp -s "$RT_TMP/$name.got" "$RT_TMP/$name.want"; echo $?)" \
		"... exactly the change log's seqs after it, in order, none missed or twice"
	unsubscribe "$name"
done
awk 'index($0, "\"Huge\"") && length($0) > 100000 { f = 1 } END { exit !f }' "$RT_TMP/resume-$start.sse"
ok $? "the resumed stream carried the huge event whole (read from the change log)"

done_testing
