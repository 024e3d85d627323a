#!/bin/bash
# The event stream is scoped like the API. Without a session there is no stream (401 JSON,
# never an anonymous one). Each event, live and replayed on resume (from the relay's ring
# and from the change log), reaches a stream only when its user may read the row: its
# branch and its owner, tombstones included, under the grants its resource declares. branch=
# naming a branch the user holds no role in, and types= naming a resource the role may not
# read, are 403 before the stream opens.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
A=$(new_branch) B=$(new_branch)

# is_error STATUS CODE DESCRIPTION: the last api answer is that JSON error.
is_error() {
	is "$STATUS,$(jq -r '"\(.error.status),\(.error.code)"' <<<"$BODY" 2>/dev/null)" "$1,$1,$2" "$3"
}

# ---- no session, no stream
API_TOKEN=none api GET /events --max-time 3
is_error 401 unauthenticated "GET /events without a session is a JSON 401 unauthenticated"
like "$(header WWW-Authenticate)" '^Bearer' "... naming the scheme (WWW-Authenticate: Bearer)"
like "$(header Content-Type)" '^application/json' "... as JSON, not a stream"
API_TOKEN=none api GET /events --max-time 3 -H "Authorization: Bearer $(uniq_chars 43 abcdefghijklmnopqrstuvwxyz)"
is_error 401 unauthenticated "... and with a token that is no session"
API_TOKEN=none api GET "/events?types=clients:*&branch=$A" --max-time 3 -H "Last-Event-ID: 1"
is_error 401 unauthenticated "... whatever it asks for"
API_TOKEN=none api GET /events/nothing --max-time 3
is_error 401 unauthenticated "another path under /events is 401 too"
API_TOKEN=none api GET /events/health
is "$STATUS" 200 "/events/health stays open (readiness)"

# ---- users of branch A: two reps and finance, each with a session
rep=$(new_login) rep2=$(new_login) fin=$(new_login)
add_user "$rep" "$AUTH_HASH" rep "$A" >/dev/null || bail_out "cannot add $rep"
add_user "$rep2" "$AUTH_HASH" rep "$A" >/dev/null || bail_out "cannot add $rep2"
add_user "$fin" "$AUTH_HASH" finance "$A" >/dev/null || bail_out "cannot add $fin"
login "$rep" "$AUTH_PW" && REP=$TOKEN
login "$rep2" "$AUTH_PW" && REP2=$TOKEN
login "$fin" "$AUTH_PW" && FIN=$TOKEN
if [ -z "$REP" ] || [ -z "$REP2" ] || [ -z "$FIN" ]; then bail_out "sign-ins failed: $BODY"; fi

# cash LOGIN PURPOSE: a cash request of LOGIN in branch A, made with psql; prints its id.
cash() {
	sql "INSERT INTO finance_cash_requests (branch, requested_by, amount, purpose)
		VALUES ('$A', '$1', 10, '$2') RETURNING id"
}
# cash_life LOGIN: a cash request of LOGIN created, updated and deleted; prints its id.
cash_life() {
	local id
	id=$(cash "$1" "for $1") || return 1
	sql "UPDATE finance_cash_requests SET purpose = 'for $1, again' WHERE id = '$id'" >/dev/null &&
		sql "DELETE FROM finance_cash_requests WHERE id = '$id'" >/dev/null && printf '%s\n' "$id"
}
# leave LOGIN: a leave request of LOGIN in branch A; prints its id.
leave() {
	sql "INSERT INTO leave_requests (branch, employee, leave_type, start_date, end_date, status)
		VALUES ('$A', '$1', 'annual', '2027-01-04', '2027-01-08', 'pending') RETURNING id"
}
# all_three NAME TABLE ID: stream NAME got create, update and delete of row ID.
all_three() {
	has_event "$1" "$2:create" "$3" && has_event "$1" "$2:update" "$3" && has_event "$1" "$2:delete" "$3"
}
# none_of NAME ID: stream NAME got no event of row ID.
none_of() { [ -z "$(ids_of "$1" "$2")" ]; }

# ---- live
API_TOKEN=$REP subscribe rep "$FIELDSYNC_URL/events"
API_TOKEN=$REP2 subscribe rep2 "$FIELDSYNC_URL/events"
API_TOKEN=$FIN subscribe fin "$FIELDSYNC_URL/events"
subscribe admin "$FIELDSYNC_URL/events"
subscribe cookie "$FIELDSYNC_URL/events" -H "Cookie: fieldsync_session=$REP"	# as a browser's EventSource
for s in rep rep2 fin admin cookie; do wait_ready "$s" || bail_out "stream $s did not start"; done

cb=$(insert_client "$B" "Client of B")
ca=$(insert_client "$A" "Client of A")
mine=$(cash_life "$rep")
theirs=$(cash_life "$rep2")
hol=$(leave "$rep")
marker=$(insert_client "$A" "Marker")
for s in rep rep2 fin admin cookie; do
	wait_until 5 has_event "$s" clients:create "$marker" || diag "stream $s did not get the marker"
done

ok "$(has_event rep clients:create "$ca"; echo $?)" "a rep of A sees A's client live"
ok "$(none_of rep "$cb"; echo $?)" "... not B's"
ok "$(all_three rep finance_cash_requests "$mine"; echo $?)" \
	"a rep sees their own cash request created, updated and deleted (the tombstone)"
ok "$(none_of rep "$theirs"; echo $?)" "... and nothing of another rep's, tombstone included"
ok "$(all_three rep2 finance_cash_requests "$theirs" && none_of rep2 "$mine"; echo $?)" \
	"the other rep: their own, not the first one's"
ok "$(has_event rep leave_requests:create "$hol" && none_of rep2 "$hol"; echo $?)" \
	"a leave request reaches its employee, not another rep"
ok "$(all_three fin finance_cash_requests "$mine" && all_three fin finance_cash_requests "$theirs"; echo $?)" \
	"finance of A sees every cash request of A"
is "$(events fin | awk -F '\t' '$2 ~ /^leave_requests:/' | wc -l)" 0 "finance sees no leave-requests events"
ok "$(has_event fin clients:create "$ca" && none_of fin "$cb"; echo $?)" "finance sees A's clients, not B's"
ok "$(has_event cookie clients:create "$ca" && none_of cookie "$cb" && none_of cookie "$theirs"; echo $?)" \
	"a stream signed in by the session cookie is scoped the same"
ok "$(has_event admin clients:create "$cb" && has_event admin leave_requests:create "$hol" &&
	all_three admin finance_cash_requests "$theirs"; echo $?)" "admin sees every branch and every row"

# ---- resume: written in both branches while the rep's stream is closed
last=$(ids_of rep "$marker" | tail -n 1)
unsubscribe rep
insert_client "$A" "A while away" >/dev/null
insert_client "$B" "B while away" >/dev/null
cash "$rep2" "theirs while away" >/dev/null
cash "$rep" "mine while away" >/dev/null
leave "$rep2" >/dev/null
cash_life "$rep2" >/dev/null
marker2=$(insert_client "$A" "Marker 2")
upto=$(seq_of "$marker2")
# What a rep of A may read, as the declarations grant it: every client of A, their own cash
# and leave requests.
expected=$(sql "SELECT seq FROM change_log WHERE seq > $last AND seq <= $upto AND branch = '$A'
	AND (resource = 'clients' OR (resource IN ('finance_cash_requests', 'leave_requests') AND owner = '$rep'))
	ORDER BY seq")
data_seqs() { events "$1" | awk -F '\t' -v u="$upto" '$2 ~ /:/ && $1 <= u { print $1 }'; }

API_TOKEN=$REP subscribe back "$FIELDSYNC_URL/events" -H "Last-Event-ID: $last"
wait_until 5 has_event back clients:create "$marker2" || diag "the resumed stream did not get marker 2"
is "$(data_seqs back | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$expected")" \
	"resumed with Last-Event-ID (from the ring): exactly what the rep may read, in order"
ok "$([ "$(wc -l <<<"$expected")" -ge 3 ]; echo $?)" "... which is not nothing ($(wc -l <<<"$expected") events)"

private_relay cold 'ring_size = 16' || bail_out "the private relay did not start"
API_TOKEN=$REP pr_subscribe cold "since=$last"
wait_until 5 has_event cold clients:create "$marker2" || diag "the private relay's stream did not get marker 2"
is "$(data_seqs cold | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$expected")" \
	"resumed from the change log (a relay that never held them): the same"

# ---- what may be asked for
API_TOKEN=$REP api GET "/events?branch=$B" --max-time 3
is_error 403 forbidden "branch= a branch the user holds no role in is 403 forbidden"
is "$(jq -r .error.field <<<"$BODY")" branch "... naming branch"
API_TOKEN=$REP subscribe own "$FIELDSYNC_URL/events?branch=$A"
ok "$(wait_ready own; echo $?)" "branch= their own branch opens the stream"
API_TOKEN=$FIN api GET "/events?types=leave_requests:*" --max-time 3
is_error 403 forbidden "types=leave_requests:* for finance (who may not read them) is 403 forbidden"
API_TOKEN=$FIN api GET "/events?types=clients:*,leave_requests:create" --max-time 3
is_error 403 forbidden "... also beside a type finance may read"
API_TOKEN=$FIN subscribe star "$FIELDSYNC_URL/events?types=*"
ok "$(wait_ready star; echo $?)" "types=* names no resource: finance's stream opens"
API_TOKEN=$FIN subscribe theirs "$FIELDSYNC_URL/events?types=finance_cash_requests:*&branch=$A"
ok "$(wait_ready theirs; echo $?)" "types= and branch= finance may read open the stream"

done_testing
