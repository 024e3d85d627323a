#!/bin/bash
# The relay never waits for PostgreSQL on its event loop: every statement runs
# asynchronously, in lanes of their own connection (delivery, catch-up, control, upkeep).
# Another session holding a lock makes one lane's statement wait; meanwhile the relay
# answers /events/health, delivers live events and opens streams that need no other lane,
# and the waiting work completes once the lock goes. (A relay running its statements on
# the loop would answer nothing at all while one of them waits.)

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
branch=$(new_branch)

# The lockers are killed whatever happens: nothing stays locked for the rest of the suite.
trap 'release t3160-sessions; release t3160-changelog; rt_cleanup' EXIT

# waiting LANE: the relay's connection LANE (its application_name) waits for a lock.
waiting() {
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND wait_event_type = 'Lock'")" -ge 1 ]
}

health_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$FIELDSYNC_URL/events/health"; }

subscribe live "$FIELDSYNC_URL/events?types=clients:*"
wait_ready live || bail_out "no ready event on GET /events"

# ---- a session lookup waits (sessions locked): the control lane
hold sessions t3160-sessions || bail_out "cannot lock sessions"
subscribe held "$FIELDSYNC_URL/events?types=clients:*"
ok "$(wait_until 5 waiting fieldsync-relay-control; echo $?)" "a stream's session lookup waits for the lock on sessions"
is "$(health_code)" 200 "... meanwhile /events/health answers at once"
id=$(insert_client "$branch" "Written while a lookup waits")
ok "$(wait_until 5 has_event live clients:create "$id"; echo $?)" "... and an open stream gets a new event"
ok "$(has_event held ready && echo 1 || echo 0)" "... the waiting stream has not opened"
release t3160-sessions
ok "$(wait_ready held; echo $?)" "once the lock goes, the waiting stream opens"

# ---- delivery waits (change_log locked): the live lane
hold change_log t3160-changelog || bail_out "cannot lock change_log"
ok "$(wait_until 5 waiting fieldsync-relay; echo $?)" "the relay's head poll waits for the lock on change_log"
is "$(health_code)" 200 "... meanwhile /events/health answers at once"
subscribe fresh "$FIELDSYNC_URL/events?types=clients:*"
ok "$(wait_ready fresh; echo $?)" "... and a new stream opens (its session is looked up in another lane)"
release t3160-changelog
id=$(insert_client "$branch" "Written after the lock")
ok "$(wait_until 5 has_event live clients:create "$id"; echo $?)" "once the lock goes, events flow again"
ok "$(wait_until 5 has_event fresh clients:create "$id"; echo $?)" "... to the stream opened meanwhile too"
ok "$(sub_running live; echo $?)" "the first stream stayed open throughout"

done_testing
