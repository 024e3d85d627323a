#!/bin/bash
# Round trips to PostgreSQL per write, as the clients pool counts them (GET /api/metrics:
# fieldsync_write_round_trips_total, every statement of the write path goes through one
# counted place): a POST takes 2 (BEGIN, the actor and the insert; then the change log's
# entries and COMMIT), 3 with an Idempotency-Key, and a 1000-row batch 2 as well; PUT and
# DELETE 2 (the lock, then the write with COMMIT). Nothing else writes to clients while this runs.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
require_stack
branch=$(new_branch)

metrics() { curl -s --max-time 5 "$FIELDSYNC_URL/api/metrics"; }
sample() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' <<<"$1"; }
TRIPS='fieldsync_write_round_trips_total{resource="clients"}'
WRITES='fieldsync_writes_total{resource="clients"}'

# trips COMMAND...: runs COMMAND (one write; STATUS and BODY stay set) and sets GOT to
# "<writes> <round trips>" it added to the counters.
trips() {
	local before after
	before=$(metrics)
	"$@"
	after=$(metrics)
	GOT="$(($(sample "$after" "$WRITES") - $(sample "$before" "$WRITES"))) $(($(sample "$after" "$TRIPS") - $(sample "$before" "$TRIPS")))"
}
post() { json POST /api/clients "$1" "${@:2}"; }

id=$(uuid)
trips post "{\"id\":\"$id\",\"branch\":\"$branch\",\"name\":\"One\"}"
is "$GOT" "1 2" \
	"a single POST: 2 round trips"
is "$STATUS" 201 "... answered 201"

key="rt-$(uniq_token)"
trips post "{\"branch\":\"$branch\",\"name\":\"Keyed\"}" -H "Idempotency-Key: $key"
is "$GOT" "1 3" \
	"a POST with an Idempotency-Key: 3"
is "$STATUS" 201 "... answered 201"
trips post "{\"branch\":\"$branch\",\"name\":\"Keyed\"}" -H "Idempotency-Key: $key"
is "$GOT" "1 2" \
	"its replay: 2 (the claim, then the stored answer and ROLLBACK)"
is "$STATUS" 201 "... answered 201 again"

batch=$(jq -cn --arg b "$branch" '[range(1000) | {branch: $b, name: "Batch \(.)"}]')
trips post "$batch"
is "$GOT" "1 2" "a 1000-row batch POST: 2"
is "$STATUS $(jq length <<<"$BODY")" "201 1000" "... answered 201 with 1000 rows"

trips json PUT /api/clients "{\"id\":\"$id\",\"name\":\"One, renamed\"}"
is "$GOT" "1 2" "a PUT: 2"
is "$STATUS $(jq -r .name <<<"$BODY")" "200 One, renamed" "... answered 200 with the change"
trips json PUT /api/clients "{\"id\":\"$id\",\"version\":1,\"name\":\"stale\"}"
is "$GOT" "1 2" \
	"a PUT at a stale version: 2 (the update, changing nothing, goes with COMMIT)"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "409 version_conflict" "... answered 409"

trips api DELETE "/api/clients?id=$id"
is "$GOT" "1 2" "a DELETE: 2"
is "$STATUS" 204 "... answered 204"
trips post "{\"id\":\"$id\",\"branch\":\"$branch\",\"name\":\"One\"}"
is "$GOT" "1 2" \
	"a POST of the deleted id: 2 (refused, then ROLLBACK)"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "409 deleted" "... answered 409 deleted"
is "$(sql "select count(*) from clients where branch = '$branch'")" 1001 "the rows written are there"

done_testing
