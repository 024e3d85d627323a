#!/bin/bash
# A bulk POST of 500 rows (one transaction) reaches a subscriber as 500 events, one per
# row, in strictly rising seq order, and the changes feed lists the same seqs.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
N=500
branch=$(new_branch)

subscribe all "$FIELDSYNC_URL/events"
wait_ready all || bail_out "no ready event on GET /events"
start=$READY_SEQ

body=$(jq -cn --arg b "$branch" --argjson n "$N" '[range($n) | {branch: $b, name: "Bulk \(.)"}]')
json POST /api/clients "$body"
is "$STATUS" 201 "POST of $N clients answers 201"
printf '%s' "$BODY" | jq -r '.[].id' 2>/dev/null | sort >"$RT_TMP/posted"
is "$(wc -l <"$RT_TMP/posted")" "$N" "... with $N rows"

got() { [ "$(count_events all clients:create "\"branch\" : \"$branch\"")" -ge "$N" ]; }
wait_until 10 got
is "$(count_events all clients:create "\"branch\" : \"$branch\"")" "$N" "the subscriber got $N clients:create events"

events all | awk -F '\t' -v b="\"branch\" : \"$branch\"" '$2 == "clients:create" && index($3, b)' >"$RT_TMP/bulk"
cut -f3 "$RT_TMP/bulk" | jq -r .id | sort >"$RT_TMP/streamed"
ok "$(cmp -s "$RT_TMP/posted" "$RT_TMP/streamed"; echo $?)" "one event for each posted row, none other"
cut -f1 "$RT_TMP/bulk" >"$RT_TMP/seqs"
ok "$(rising <"$RT_TMP/seqs"; echo $?)" "their seqs rise strictly"
ok "$(cut -f3 "$RT_TMP/bulk" | jq -r .seq | cmp -s - "$RT_TMP/seqs"; echo $?)" "each id: line equals its payload's seq"
ok "$(events all | awk -F '\t' '$2 != "ready" { print $1 }' | rising; echo $?)" \
	"the whole stream's seqs rise strictly"

last=$(tail -n 1 "$RT_TMP/seqs")
changes_seqs "$start" "${last:-0}" "&types=clients:create&branch=$branch" >"$RT_TMP/feed"
ok "$(cmp -s "$RT_TMP/seqs" "$RT_TMP/feed"; echo $?)" "GET /api/changes lists the same seqs"

done_testing
