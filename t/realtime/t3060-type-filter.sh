#!/bin/bash
# types= filters a stream: types=clients:* gets every clients event and no appointments
# event; types=appointments:create gets appointment creates only. branch= keeps one branch's
# rows. The filters apply to live events and to a catch-up from a cursor alike.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
branch=$(new_branch)

subscribe all "$FIELDSYNC_URL/events"
subscribe clients "$FIELDSYNC_URL/events?types=clients:*"
subscribe creates "$FIELDSYNC_URL/events?types=appointments:create"
for s in all clients creates; do wait_ready "$s" || bail_out "no ready event for $s"; done
start=$READY_SEQ

create clients "{\"branch\":\"$branch\",\"name\":\"Filtered client\"}" || bail_out "setup"
c1=$ID
json PUT /api/clients "{\"id\":\"$c1\",\"phone\":\"1\"}"
create appointments "{\"branch\":\"$branch\",\"client_id\":\"$c1\",\"scheduled_at\":\"2026-12-01T09:00:00Z\"}" ||
	bail_out "setup"
a1=$ID
json PUT /api/appointments "{\"id\":\"$a1\",\"status\":\"completed\"}"
api DELETE "/api/appointments?id=$a1"
create appointments "{\"branch\":\"$branch\",\"client_id\":\"$c1\",\"scheduled_at\":\"2026-12-02T09:00:00Z\"}" ||
	bail_out "setup"
a2=$ID
create clients "{\"branch\":\"$branch\",\"name\":\"Last client\"}" || bail_out "setup"
c2=$ID

ok "$(wait_until 3 has_event all clients:create "$c2"; echo $?)" "the unfiltered stream got all seven events"
ok "$(wait_until 3 has_event clients clients:create "$c2"; echo $?)" "types=clients:* got the last clients event"
ok "$(wait_until 3 has_event creates appointments:create "$a2"; echo $?)" \
	"types=appointments:create got the last appointment create"

mine() { events "$1" | awk -F '\t' -v b="\"branch\" : \"$branch\"" 'index($3, b) { print $2 }' | tr '\n' ' '; }
is "$(mine all)" "clients:create clients:update appointments:create appointments:update appointments:delete appointments:create clients:create " \
	"unfiltered: every event, in order"
is "$(mine clients)" "clients:create clients:update clients:create " "types=clients:*: the clients events only"
is "$(events clients | awk -F '\t' '$2 != "ready" && $2 !~ /^clients:/' | wc -l)" 0 \
	"types=clients:*: nothing of any other table"
is "$(mine creates)" "appointments:create appointments:create " "types=appointments:create: the two creates only"
is "$(events creates | awk -F '\t' '$2 != "ready" && $2 != "appointments:create"' | wc -l)" 0 \
	"types=appointments:create: nothing else at all"

# The same filters over a catch-up from the cursor before the writes.
subscribe caught "$FIELDSYNC_URL/events?types=appointments:create,clients:update" -H "Last-Event-ID: $start"
ok "$(wait_until 5 has_event caught appointments:create "$a2"; echo $?)" "a filtered catch-up arrives"
is "$(mine caught)" "clients:update appointments:create appointments:create " \
	"types=appointments:create,clients:update from a cursor: exactly those"

# branch=: a phone following one branch gets its rows and nobody else's.
other="$branch-other"
subscribe here "$FIELDSYNC_URL/events?branch=$branch"
subscribe both "$FIELDSYNC_URL/events?branch=$other&types=clients:create"
for s in here both; do wait_ready "$s" || bail_out "no ready event for $s"; done
create clients "{\"branch\":\"$other\",\"name\":\"Elsewhere\"}" || bail_out "setup"
o1=$ID
create clients "{\"branch\":\"$branch\",\"name\":\"Here\"}" || bail_out "setup"
h1=$ID
ok "$(wait_until 3 has_event here clients:create "$h1"; echo $?)" "branch=: its own branch's create arrives"
ok "$(wait_until 3 has_event both clients:create "$o1"; echo $?)" "branch= with types=: the other branch's create"
is "$(events here | awk -F '\t' -v b="\"branch\" : \"$branch\"" '$2 != "ready" && !index($3, b)' | wc -l)" 0 \
	"branch=: nothing of another branch"
ok "$(has_event here clients:create "$o1"; echo $((!$?)))" "branch=: the other branch's create did not come"
is "$(events both | awk -F '\t' '$2 != "ready"' | wc -l)" 1 "branch= with types=: exactly one event"
subscribe back "$FIELDSYNC_URL/events?branch=$other" -H "Last-Event-ID: $start"
ok "$(wait_until 5 has_event back clients:create "$o1"; echo $?)" "branch= over a catch-up from a cursor"
is "$(events back | awk -F '\t' '$2 != "ready"' | wc -l)" 1 "the catch-up holds the one event of that branch"
api GET "/events?branch="
is "$STATUS" 400 "an empty branch= is a 400"

# One grammar, checked against the tables the change log tracks (change_log_tables).
api GET "/events?types=nosuch:*"
is "$STATUS,$(jqb .error.code),$(jqb .error.field)" "400,invalid_parameter,types" \
	"types= with a table that has no change log: 400 invalid_parameter, field types"
api GET "/events?types=clients:archive"
is "$STATUS,$(jqb .error.code)" "400,invalid_parameter" "types= with an unknown action: 400"
api GET "/events?types=clients:*,,visits:*"
is "$STATUS,$(jqb .error.status)" "400,400" "an empty entry: 400, in the API's error shape"
# The changes feed answers the same grammar the same way.
for types in 'nosuch:*' 'clients:archive' 'clients:*,,visits:*'; do
	api GET "/api/changes?since=0&types=$(printf '%s' "$types" | jq -sRr @uri)"
	is "$STATUS,$(jqb .error.code),$(jqb .error.field)" "400,invalid_parameter,types" \
		"the feed refuses types=$types like the stream: 400 invalid_parameter, field types"
done
api GET "/api/changes?types=*,visits:update"
is "$STATUS" 200 "the feed takes types=* (with others)"
subscribe star "$FIELDSYNC_URL/events?types=*,visits:update"
ok "$(wait_ready star; echo $?)" "types=* (with others) is a stream of everything"

done_testing
