#!/bin/bash
# Truthful under faults: several writers POST rows with ids of their own (every other one with
# an Idempotency-Key) to a few resources while busy FastCGI workers are killed, PostgreSQL is
# restarted and the relay is restarted; a signed-in stream subscriber resumes with
# Last-Event-ID after each disconnect. Then the database proves that every acknowledged write
# is there exactly once, that every unacknowledged one is absent or there once and its replay
# (same id, same key) answers success without writing again, that nothing is duplicated, and
# that the subscriber saw every seq of the run's change log entries once each, in order.
# The figures are printed as TAP comments.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-write-load.sh
. "$(dirname "$0")/lib-write-load.sh"

[ "${FIELDSYNC_LOCAL_PG:-0}" = 1 ] || skip_all "the stack does not run its own PostgreSQL"
require_stack
suite_token_load || bail_out "no suite token"
relay_serves || bail_out "GET /events/health does not answer 200 (is the relay running?)"

STACK=$FIELDSYNC_TOP/stack
RUN=$FIELDSYNC_VAR/run
WRITERS=${T6100_WRITERS:-4}
# Writes acknowledged between two faults: the load's size (and so its time) is set here.
STEP=${T6100_STEP:-250}
LOAD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t6100.XXXXXX")
LOAD_BRANCH=$(new_branch)
LOAD_AUTH=$(auth_header)
WRITER_PIDS=()
SUB_LOOP=
T0=$EPOCHREALTIME

# Whatever happens: the load and the subscriber end, PostgreSQL and the relay run again.
cleanup() {
	local pid
	: >"$LOAD_TMP/stop"
	: >"$LOAD_TMP/sub-stop"
	for pid in "${WRITER_PIDS[@]}" $SUB_LOOP; do kill -TERM "$pid" 2>/dev/null; done
	[ -z "$SUB_LOOP" ] || stop_subscriber "$SUB_LOOP" >/dev/null 2>&1
	wait 2>/dev/null
	"$STACK" pg-start >/dev/null 2>&1 || diag "could not start PostgreSQL again"
	relay_serves || "$STACK" relay-start >/dev/null 2>&1 || diag "could not start the relay again"
	rm -rf "$LOAD_TMP"
}
trap cleanup EXIT

declare -A SUPERVISOR=() NWORKERS=()
for res in "${LOAD_RESOURCES[@]}"; do
	SUPERVISOR[$res]=$(cat "$RUN/$res.pid" 2>/dev/null) || bail_out "no $RUN/$res.pid"
	NWORKERS[$res]=$(pgrep -c -P "${SUPERVISOR[$res]}")
	[ "${NWORKERS[$res]}" -gt 0 ] || bail_out "$res has no workers"
done
LOAD_IDLE_SYSCALLS=$(idle_syscalls "${SUPERVISOR[@]}")

# kill_round NAME: kill -9 one busy worker of each resource and wait for its replacement.
kill_round() {
	local res killed=0 replaced_n=0
	for res in "${LOAD_RESOURCES[@]}"; do
		WAIT_EVERY=0.01 wait_until 20 kill_busy "${SUPERVISOR[$res]}" || continue
		killed=$((killed + 1))
		WAIT_EVERY=0.1 wait_until 15 replaced "${SUPERVISOR[$res]}" "$KILLED_PID" "${NWORKERS[$res]}" &&
			replaced_n=$((replaced_n + 1))
	done
	KILLS=$((KILLS + killed))
	is "$killed/$replaced_n" "${#LOAD_RESOURCES[@]}/${#LOAD_RESOURCES[@]}" \
		"$1: a worker caught in a request is killed (-9) for each resource, and replaced"
}
KILLS=0

# ---------------------------------------------------------------- the run

START=$(sql "SELECT coalesce(max(seq), 0) FROM change_log")
subscriber "$START" &
SUB_LOOP=$!
ok "$(wait_until 10 sub_open_after 0; echo $?)" "the subscriber's stream opens (after seq $START)"

for w in $(seq 1 "$WRITERS"); do
	writer "$w" &
	WRITER_PIDS+=($!)
done
ok "$(more_acks "$STEP" 60; echo $?)" "$WRITERS writers are acknowledged $STEP writes"

kill_round "first kills"
ok "$(wait_until 15 api_serves; echo $?)" "the API serves after the kills"
ok "$(more_acks "$STEP" 60; echo $?)" "$STEP more writes are acknowledged after the kills"

before=$(errors)
"$STACK" pg-stop >"$LOAD_TMP/stack.log" 2>&1
ok $? "PostgreSQL stops under the load" || diag "$(cat "$LOAD_TMP/stack.log")"
ok "$(WAIT_EVERY=0.05 wait_until 15 errors_reach $((before + WRITERS)); echo $?)" \
	"writes are refused while it is down"
"$STACK" pg-start >"$LOAD_TMP/stack.log" 2>&1
ok $? "PostgreSQL starts again" || diag "$(cat "$LOAD_TMP/stack.log")"
ok "$(WAIT_EVERY=0.1 wait_until 30 api_serves; echo $?)" "the API serves again"
ok "$(more_acks "$STEP" 60; echo $?)" "$STEP more writes are acknowledged after the restart"

conn=$(sub_connection)
"$STACK" relay-stop >"$LOAD_TMP/stack.log" 2>&1
ok $? "the relay stops under the load" || diag "$(cat "$LOAD_TMP/stack.log")"
ok "$(WAIT_EVERY=0.05 wait_until 10 sub_closed "$conn"; echo $?)" "the subscriber's stream ends"
ok "$(more_acks $((STEP / 2)) 60; echo $?)" "$((STEP / 2)) writes are acknowledged while the relay is down"
"$STACK" relay-start >"$LOAD_TMP/stack.log" 2>&1
ok $? "the relay starts again" || diag "$(cat "$LOAD_TMP/stack.log")"
ok "$(WAIT_EVERY=0.1 wait_until 30 sub_open_after "$conn"; echo $?)" \
	"the subscriber resumes with Last-Event-ID"

kill_round "second kills"
ok "$(more_acks "$STEP" 60; echo $?)" "$STEP more writes are acknowledged to end the load"

: >"$LOAD_TMP/stop"
wait "${WRITER_PIDS[@]}"
WRITER_PIDS=()
LOAD_SECONDS=$(since "$T0")

# ---------------------------------------------------------------- what the database holds

cat "$LOAD_TMP"/w*.log >"$LOAD_TMP/sent.tsv"

# load_sql: psql with the run's records in temporary tables (sent, and replayed once the
# replays are done), the SQL on stdin after them.
load_sql() {
	{
		cat <<-EOF
			CREATE TEMP TABLE sent (writer int, res text, id uuid, key text, answer text, detail text, body text);
			\\copy sent FROM '$LOAD_TMP/sent.tsv'
			CREATE TEMP TABLE replayed (id uuid, was_present int, entries_before int, answer text, replay_header text);
		EOF
		[ ! -s "$LOAD_TMP/replayed.tsv" ] || echo "\\copy replayed FROM '$LOAD_TMP/replayed.tsv'"
		cat <<-EOF
			CREATE TEMP VIEW present AS
			  SELECT 'clients' AS res, id FROM clients WHERE branch = '$LOAD_BRANCH'
			  UNION ALL SELECT 'distributors', id FROM distributors WHERE branch = '$LOAD_BRANCH'
			  UNION ALL SELECT 'campaigns', id FROM campaigns WHERE branch = '$LOAD_BRANCH';
			CREATE TEMP VIEW outcome AS
			  SELECT s.*, s.answer LIKE '2%' AS acked,
			    (SELECT count(*) FROM present p WHERE p.res = s.res AND p.id = s.id) AS rows,
			    (SELECT count(*) FROM change_log c WHERE c.row_id = s.id AND c.action = 'create') AS creates,
			    (SELECT count(*) FROM change_log c WHERE c.row_id = s.id) AS entries
			  FROM sent s;
		EOF
		cat
	} | psql "$DATABASE_URL" -X -q -A -t -F ' ' -v ON_ERROR_STOP=1
}

# figures: "sent acked unacked lost duplicated unacked_present unacked_absent strays bad_acks".
figures() {
	load_sql <<-'EOF'
		SELECT count(*), count(*) FILTER (WHERE acked), count(*) FILTER (WHERE NOT acked),
		  count(*) FILTER (WHERE acked AND rows = 0),
		  count(*) FILTER (WHERE rows > 1 OR creates > 1),
		  count(*) FILTER (WHERE NOT acked AND rows = 1),
		  count(*) FILTER (WHERE NOT acked AND rows = 0),
		  (SELECT count(*) FROM present p WHERE NOT EXISTS (SELECT 1 FROM sent s WHERE s.id = p.id)),
		  count(*) FILTER (WHERE answer LIKE 'bad%')
		FROM outcome;
	EOF
}

read -r SENT ACKED UNACKED LOST DUPS UNACKED_PRESENT UNACKED_ABSENT STRAYS BAD_ACKS < <(figures)
note "load: $SENT writes by $WRITERS writers in ${LOAD_SECONDS}s, $KILLS workers killed, PostgreSQL and the relay restarted once"
note "sent: $SENT" "acknowledged: $ACKED" "unacknowledged: $UNACKED ($UNACKED_PRESENT committed, $UNACKED_ABSENT absent)" \
	"lost: $LOST" "duplicated: $DUPS"
load_sql <<-'EOF' | while read -r line; do note "  unacknowledged $line"; done
	SELECT answer || ' ' || detail || ': ' || count(*) || ' (' || count(*) FILTER (WHERE rows = 1) || ' committed)'
	FROM outcome WHERE NOT acked GROUP BY answer, detail ORDER BY answer, detail;
EOF

ok "$([ "$SENT" -ge $((STEP * 4)) ]; echo $?)" "the load sent at least $((STEP * 4)) writes ($SENT)"
ok "$([ "$UNACKED" -gt 0 ]; echo $?)" "the faults cost the writers some answers ($UNACKED)"
is "$BAD_ACKS" 0 "every 2xx answer carries the row it was sent"
is "$LOST" 0 "every acknowledged write is in the database (lost: $LOST)"
is "$(load_sql <<<"SELECT count(*) FROM outcome WHERE acked AND NOT (rows = 1 AND creates = 1);")" 0 \
	"... exactly once, created once"
is "$DUPS" 0 "no write is there twice (duplicated: $DUPS)"
is "$STRAYS" 0 "the run's branch holds no row nobody sent"

# ---------------------------------------------------------------- replays of the unacknowledged

# Each unacknowledged write again, byte for byte (its id, its key when it had one), as a client
# that never heard back does. replayed.tsv: id, present before, change log entries before, the
# answer, Idempotent-Replay.
load_sql <<<"SELECT id, (rows = 1)::int, entries, res, key, body FROM outcome WHERE NOT acked ORDER BY writer, id;" |
	while read -r id was entries res key body; do
		hdr=()
		[ "$key" = - ] || hdr=(-H "Idempotency-Key: $key")
		code=$(curl -s -o /dev/null -D "$LOAD_TMP/replay.head" -w '%{http_code}' --max-time 10 -X POST \
			-H "$LOAD_AUTH" -H 'Content-Type: application/json' ${hdr[@]+"${hdr[@]}"} \
			--data-binary "$body" "$FIELDSYNC_URL/api/$res")
		replay=$(tr -d '\r' <"$LOAD_TMP/replay.head" | awk 'tolower($1) == "idempotent-replay:" { print $2 }')
		printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$was" "$entries" "${code:-000}" "${replay:-none}"
	done >"$LOAD_TMP/replayed.tsv"

read -r REPLAYS REPLAY_OK PRESENT_SAME KEYED_PRESENT KEYED_STORED ABSENT_NOW_ONCE < <(load_sql <<-'EOF'
	SELECT count(*), count(*) FILTER (WHERE r.answer LIKE '2%'),
	  count(*) FILTER (WHERE r.was_present = 1 AND o.entries = r.entries_before AND o.rows = 1),
	  count(*) FILTER (WHERE r.was_present = 1 AND o.key <> '-'),
	  count(*) FILTER (WHERE r.was_present = 1 AND o.key <> '-' AND r.replay_header = 'true'),
	  count(*) FILTER (WHERE r.was_present = 0 AND o.rows = 1 AND o.creates = 1)
	FROM replayed r JOIN outcome o USING (id);
EOF
)
note "replays: $REPLAYS, answered 2xx: $REPLAY_OK"
is "$REPLAYS" "$UNACKED" "every unacknowledged write is replayed"
is "$REPLAY_OK" "$UNACKED" "every replay answers success" ||
	diag "$(awk -F '\t' '$4 !~ /^2/' "$LOAD_TMP/replayed.tsv" | head -n 5)"
is "$PRESENT_SAME" "$UNACKED_PRESENT" \
	"a replay of a committed unacknowledged write writes nothing again ($UNACKED_PRESENT such)"
is "$KEYED_STORED" "$KEYED_PRESENT" "... and with its key answers the stored answer (Idempotent-Replay: true)"
is "$ABSENT_NOW_ONCE" "$UNACKED_ABSENT" "a replay of an absent one writes it, once ($UNACKED_ABSENT such)"
read -r _ _ _ LOST DUPS _ _ STRAYS _ < <(figures)
is "$LOST/$DUPS/$STRAYS" 0/0/0 "after the replays: nothing lost, duplicated or stray"

# ---------------------------------------------------------------- what the subscriber saw

sql "SELECT seq FROM change_log WHERE branch = '$LOAD_BRANCH' ORDER BY seq" >"$LOAD_TMP/expected"
LAST_SEQ=$(tail -n 1 "$LOAD_TMP/expected")
ok "$(WAIT_EVERY=0.2 wait_until 60 sub_saw "$LAST_SEQ"; echo $?)" "the subscriber receives the run's last seq ($LAST_SEQ)"
CONNECTIONS=$(sub_connection)
WAIT_EVERY=0.1 wait_until 10 stop_subscriber "$SUB_LOOP" || diag "the subscriber did not stop"
SUB_LOOP=
sub_seqs >"$LOAD_TMP/seen"
EXPECTED=$(wc -l <"$LOAD_TMP/expected")
SEEN=$(wc -l <"$LOAD_TMP/seen")
MISSED=$(sort "$LOAD_TMP/expected" | comm -23 - <(sort -u "$LOAD_TMP/seen") | wc -l)
TWICE=$(sort "$LOAD_TMP/seen" | uniq -d | wc -l)
note "events expected: $EXPECTED" "events seen: $SEEN" "events missed: $MISSED" \
	"events seen twice: $TWICE" "stream connections: $CONNECTIONS"
is "$MISSED" 0 "the subscriber missed no event of the run (missed: $MISSED)"
is "$TWICE" 0 "... and saw none twice"
ok "$(cmp -s "$LOAD_TMP/expected" "$LOAD_TMP/seen"; echo $?)" \
	"it saw exactly the run's change log seqs, in order" ||
	diag "first difference: $(diff "$LOAD_TMP/expected" "$LOAD_TMP/seen" | head -n 4 | tr '\n' ' ')"
ok "$([ "$CONNECTIONS" -ge 2 ]; echo $?)" "it resumed at least once ($CONNECTIONS connections)"
note "the whole run took $(since "$T0")s"

done_testing
