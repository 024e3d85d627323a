#!/bin/bash
# GET /api/health tells the truth: 200 "ok" when the database answers with the schema the
# binaries were built for and every service's socket accepts; a pool that stopped is
# "down" and the answer 503 "degraded"; PostgreSQL away is 503 "unavailable". No session
# is needed, no secret is said, nothing is cached, and it takes only GET.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

require_stack
STACK=$FIELDSYNC_TOP/stack
RUN=$FIELDSYNC_VAR/run
trap '"$STACK" pg-start >/dev/null 2>&1; "$STACK" workers-start >/dev/null 2>&1 || diag "could not restart the workers"' EXIT

health() { API_TOKEN=none api GET /api/health; }
field() { jq -r "$1" <<<"$BODY" 2>/dev/null; }

last=$(basename "$(printf '%s\n' "$FIELDSYNC_TOP"/sql/[0-9][0-9][0-9]_*.sql | sort | tail -n 1)")
health
is "$STATUS $(field .status)" "200 ok" "a healthy stack: 200 ok, without a session"
is "$(field .database) $(field .schema.database) $(field .schema.build)" "ok ${last%%_*} ${last%%_*}" \
	"... the database answers, at the schema the binaries were built for"
is "$(field '[.services | to_entries[] | select(.value != "up")] | length')" 0 "... every service is up"
for s in clients changes session users relay; do
	is "$(field ".services.\"$s\"")" up "... $s among them"
done
like "$(header Cache-Control)" 'no-store' "... never cached"
ok "$(grep -qiE 'password|secret|token|postgres(ql)?://' <<<"$BODY" && echo 1 || echo 0)" "... and says nothing secret"

API_TOKEN=none api POST /api/health
is "$STATUS $(field .error.code)" "405 method_not_allowed" "POST is 405, in JSON"

# A pool that stopped: its socket stays, nothing accepts on it.
pid=$(cat "$RUN/clients.pid")
kill -TERM "$pid"
stopped() { ! kill -0 "$pid" 2>/dev/null; }
wait_until 10 stopped || bail_out "the clients pool did not stop"
health
is "$STATUS $(field .status) $(field .services.clients)" "503 degraded down" "a stopped pool: 503 degraded, clients down"
is "$(field .services.visits)" up "... the others still up"
"$STACK" workers-start >/dev/null 2>&1 || bail_out "cannot start the workers again"
healthy() { health; [ "$STATUS" = 200 ]; }
ok "$(wait_until 10 healthy; echo $?)" "once the pool is back: 200 again"

if [ "${FIELDSYNC_LOCAL_PG:-0}" = 1 ]; then
	"$STACK" pg-stop >/dev/null 2>&1 || bail_out "cannot stop PostgreSQL"
	health
	is "$STATUS $(field .status) $(field .database)" "503 unavailable unavailable" "PostgreSQL away: 503, database unavailable"
	"$STACK" pg-start >/dev/null 2>&1 || bail_out "cannot start PostgreSQL"
	ok "$(wait_until 20 healthy; echo $?)" "PostgreSQL back: 200 again, no restart"
fi

done_testing
