#!/bin/bash
# 10,000 clients in one bulk POST (one set-based statement; the binary run directly with
# max_batch and max_body raised for it, as an install may set them) land exactly once, in the
# order sent: change_log has one create per row, its seqs rising in that order, and a stream
# subscriber gets all 10,000 events, in seq order, none twice.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
N=10000
branch=$(new_branch)
CONF=$RT_TMP/fieldsync.conf
{ cat "$FIELDSYNC_STACK_CONF"; printf '[http]\nmax_batch = %d\nmax_body = 8388608\n' "$N"; } >"$CONF"

subscribe all "$FIELDSYNC_URL/events?types=clients:create&branch=$branch"
wait_ready all || bail_out "no ready event on GET /events"

jq -cn --arg b "$branch" --argjson n "$N" \
	'[range($n) | {branch: $b, name: "Bulk \(. + 100000)", email: "bulk\(.)@example.com"}]' >"$RT_TMP/body"
env FIELDSYNC_CONF="$CONF" DATABASE_URL="$DATABASE_URL" GATEWAY_INTERFACE=CGI/1.1 \
	SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=POST QUERY_STRING= SCRIPT_NAME=/api/clients \
	REQUEST_URI=/api/clients CONTENT_TYPE=application/json \
	CONTENT_LENGTH="$(wc -c <"$RT_TMP/body")" "$(auth_param)" \
	timeout 120 "$FIELDSYNC_TOP/cgi-bin/clients.fcgi" <"$RT_TMP/body" >"$RT_TMP/out" 2>"$RT_TMP/cgi.log"
is "$(sed -n 's/^Status: *\([0-9]\{3\}\).*/\1/p' "$RT_TMP/out" | head -n 1)" 201 "one POST of $N clients answers 201"
sed '1,/^\r\{0,1\}$/d' "$RT_TMP/out" | jq -r '.[].name' >"$RT_TMP/answered" 2>/dev/null
jq -r '.[].name' "$RT_TMP/body" >"$RT_TMP/sent"
ok "$(cmp -s "$RT_TMP/sent" "$RT_TMP/answered"; echo $?)" "... answering the $N rows in the order sent"

# The log, in seq order, names the rows in the order sent: once each, all creates.
sql "select c.data ->> 'name' from change_log c where c.resource = 'clients' and c.branch = '$branch'
	order by c.seq" >"$RT_TMP/logged"
ok "$(cmp -s "$RT_TMP/sent" "$RT_TMP/logged"; echo $?)" "change_log holds one entry per row, in the order sent"
is "$(sql "select count(*) filter (where action = 'create') || ' ' || count(distinct xid) from change_log
	where resource = 'clients' and branch = '$branch'")" "$N 1" "... all creates, of one transaction"
is "$(sql "select count(*) from clients where branch = '$branch'")" "$N" "the table holds $N rows"

got() { [ "$(count_events all clients:create "")" -ge "$N" ]; }
wait_until 30 got
events all | awk -F '\t' '$2 == "clients:create"' >"$RT_TMP/streamed"
is "$(wc -l <"$RT_TMP/streamed")" "$N" "the subscriber got $N clients:create events"
ok "$(cut -f1 "$RT_TMP/streamed" | rising; echo $?)" "... in strictly rising seq order (none twice)"
cut -f3 "$RT_TMP/streamed" | jq -r .data.name >"$RT_TMP/stream-names"
ok "$(cmp -s "$RT_TMP/sent" "$RT_TMP/stream-names"; echo $?)" "... one for each row, in the order sent"
sql "select seq from change_log where resource = 'clients' and branch = '$branch' order by seq" >"$RT_TMP/seqs"
ok "$(cut -f1 "$RT_TMP/streamed" | cmp -s - "$RT_TMP/seqs"; echo $?)" "... with the seqs change_log holds"

done_testing
