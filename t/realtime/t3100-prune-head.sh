#!/bin/bash
# After retention pruned every entry, the change log is still at its last seq: the feed
# (GET /api/changes) and the stream (/events) give the same head, and a client at that
# head is served, not told "history_gone". Then a new write reaches both from there.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
branch=$(new_branch)

for n in one two three; do
	create clients "{\"branch\":\"$branch\",\"name\":\"Pruned $n\"}" || bail_out "setup"
done
last=$(sql "SELECT max(seq) FROM change_log")
gone=$(sql "SELECT fs_prune_change_log('0 seconds')")
ok "$([ "$gone" -ge 3 ] && [ "$(sql 'SELECT count(*) FROM change_log')" = 0 ]; echo $?)" \
	"retention pruned every entry ($gone)"
is "$(sql "SELECT pruned_through FROM change_log_horizon")" "$last" "the horizon is the last seq"

# ---- the feed
api GET /api/changes
is "$STATUS" 200 "GET /api/changes answers"
feed_head=$(jqb .next)
is "$feed_head" "$last" "the feed's head is the last seq, not 0"
api GET "/api/changes?since=$feed_head"
is "$STATUS" 200 "since=head is served ($(jqb .error.code 2>/dev/null))"
is "$(jqb '.changes | length'),$(jqb .next),$(jqb .more)" "0,$last,false" "... an empty page at the head"

# ---- the stream
at_last() { [ "$(relay_head)" = "$last" ]; }
ok "$(wait_until 5 at_last; echo $?)" "the relay's head is the last seq ($(relay_head))"
subscribe fresh "$FIELDSYNC_URL/events"
wait_ready fresh || bail_out "no ready event"
is "$READY_SEQ" "$feed_head" "the stream's ready seq is the feed's head"
subscribe resume "$FIELDSYNC_URL/events" -H "Last-Event-ID: $feed_head"
ok "$(! wait_until 1.5 sub_ended resume; echo $?)" "Last-Event-ID: head: the stream stays open"
ok "$(! has_event resume reload; echo $?)" "... with no reload (history_gone) event"

# ---- and a new write reaches both from the head
create clients "{\"branch\":\"$branch\",\"name\":\"After pruning\"}" || bail_out "setup"
id=$ID
ok "$(wait_until 3 has_event resume clients:create "$id"; echo $?)" "the resumed stream gets the next write"
ok "$(wait_until 3 has_event fresh clients:create "$id"; echo $?)" "... so does the fresh one"
api GET "/api/changes?since=$feed_head"
is "$(jqb '[.changes[].id] | join(",")')" "$id" "the feed from the head lists exactly that write"

done_testing
