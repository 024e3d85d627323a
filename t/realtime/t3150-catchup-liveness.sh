#!/bin/bash
# Catch-ups never block the relay: five streams resume 20,000 events behind the head (the
# ring holds 16, so they come from the change log) while /events/health is polled; health
# answers within a generous bound the whole time (the figures are printed; speed itself is
# bench/relay-catchup's), every stream gets every event once, in order, and the pages read
# from the change log are shared by the five streams, not read again for each.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

# median: the middle of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

require_relay
N=20000 STREAMS=5 BOUND=1.0
branch=$(new_branch)
private_relay cu "ring_size = 16" || bail_out "no private relay"

cursor=$(sql "SELECT coalesce(max(seq), 0) FROM change_log")
sql "INSERT INTO clients (branch, name) SELECT '$branch', 'Catch-up ' || i FROM generate_series(1, $N) AS i" >/dev/null
last=$(sql "SELECT max(seq) FROM change_log")
at_head() { [ "$(pr_health | jq -r .head)" = "$last" ]; }
wait_until 60 at_head || bail_out "the private relay did not reach $last"
pages_before=$(pr_health | jq -r .catchup_pages)

for i in $(seq 1 "$STREAMS"); do pr_subscribe "s$i" "" -H "Last-Event-ID: $cursor"; done
caught_up() { grep -q "^id: $last\$" "$RT_TMP/$1.sse"; }
all_caught_up() { for i in $(seq 1 "$STREAMS"); do caught_up "s$i" || return 1; done; }

t0=$EPOCHREALTIME
: >"$RT_TMP/health.ms"
while ! all_caught_up && at_most "$(since "$t0")" 120; do
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 10 --unix-socket "$PR_SOCK" \
		http://relay/events/health >>"$RT_TMP/health.ms"
done
took=$(since "$t0")
ok "$(all_caught_up; echo $?)" "all $STREAMS streams caught up $N events (in $took s)"
polls=$(wc -l <"$RT_TMP/health.ms")
failed=$(awk '$1 != 200' "$RT_TMP/health.ms" | wc -l)
median=$(awk '{ print $2 }' "$RT_TMP/health.ms" | median)
worst=$(awk '{ print $2 }' "$RT_TMP/health.ms" | sort -n | tail -n 1)
diag "/events/health during the catch-ups: $polls polls, median ${median:-?} s, max ${worst:-?} s"
ok "$([ "$polls" -ge 1 ] && [ "$failed" = 0 ]; echo $?)" "/events/health answered 200 all along ($polls polls)"
ok "$(at_most "${worst:-99}" "$BOUND"; echo $?)" "... each within $BOUND s (max $worst s)"

for i in $(seq 1 "$STREAMS"); do
	ids_of "s$i" "\"branch\" : \"$branch\"" >"$RT_TMP/s$i.ids"
done
good=0
for i in $(seq 1 "$STREAMS"); do
	[ "$(wc -l <"$RT_TMP/s$i.ids")" = "$N" ] && rising <"$RT_TMP/s$i.ids" && good=$((good + 1))
done
is "$good" "$STREAMS" "every stream got all $N events, in order, none twice"

pages=$(( $(pr_health | jq -r .catchup_pages) - pages_before ))
one=$(( (N + 499) / 500 ))
diag "catch-up pages read: $pages for $STREAMS streams (one stream alone needs about $one)"
ok "$([ "$pages" -lt $((one * 2 + 4)) ]; echo $?)" \
	"the pages were read once and shared ($pages, not $STREAMS x $one)"

done_testing
