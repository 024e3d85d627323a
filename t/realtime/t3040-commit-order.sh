#!/bin/bash
# Seqs follow commit order, not write order. Transaction A writes a client first but
# commits last; B writes and commits in between. A subscriber sees B, then A with a higher
# seq, and GET /api/changes?since=<B's seq> returns A: a reader that saw B's seq never
# misses A. The same again with the changes feed alone as the reader.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
branch=$(new_branch)

# open_a: psql session A in the background, fed through a fifo on descriptor 7; its
# output goes to $RT_TMP/a.out.
open_a() {
	rm -f "$RT_TMP/a.in"
	mkfifo "$RT_TMP/a.in"
	psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 <"$RT_TMP/a.in" >"$RT_TMP/a.out" 2>&1 &
	A_PID=$!
	RT_CHILDREN+=("$A_PID")
	exec 7>"$RT_TMP/a.in"
}
# in_a SQL MARK: run SQL in session A and wait (5 s) until it printed MARK after it.
in_a() {
	printf '%s\nSELECT %s;\n' "$1" "'$2'" >&7
	wait_until 5 grep -q "^$2\$" "$RT_TMP/a.out"
}
close_a() { exec 7>&-; wait "$A_PID" 2>/dev/null || true; }

# ---- with a subscriber
subscribe all "$FIELDSYNC_URL/events?types=clients:*"
wait_ready all || bail_out "no ready event on GET /events"

open_a
ok "$(in_a "BEGIN; INSERT INTO clients (branch, name) VALUES ('$branch', 'A first written');" a-written; echo $?)" \
	"A wrote a client and has not committed"
b_id=$(insert_client "$branch" "B written second")
ok "$(wait_until 2 has_event all clients:create "$b_id"; echo $?)" "the subscriber sees B's event"
b_seq=$(event_data all clients:create "$b_id" | jq -r .seq)
ok "$(! has_event all clients:create 'A first written'; echo $?)" "... and nothing of A, uncommitted"

ok "$(in_a "COMMIT;" a-committed; echo $?)" "A commits"
a_id=$(sql "SELECT id FROM clients WHERE branch = '$branch' AND name = 'A first written'")
ok "$(wait_until 2 has_event all clients:create "$a_id"; echo $?)" "the subscriber sees A's event"
a_seq=$(event_data all clients:create "$a_id" | jq -r .seq)
ok "$([ "${a_seq:-0}" -gt "${b_seq:-0}" ]; echo $?)" "A's seq ($a_seq) is above B's ($b_seq)"
order=$(events all | awk -F '\t' -v a="$a_id" -v b="$b_id" 'index($3, a) { print "A" } index($3, b) { print "B" }' | tr -d '\n')
is "$order" BA "the stream has B before A"
api GET "/api/changes?since=$b_seq&types=clients:*&branch=$branch"
is "$(printf '%s' "$BODY" | jq -r '[.changes[].id] | join(" ")' 2>/dev/null)" "$a_id" \
	"GET /api/changes?since=<B's seq> returns A"
close_a

# ---- the changes feed alone
start=$(sql "SELECT coalesce(max(seq), 0) FROM change_log")
open_a
in_a "BEGIN; INSERT INTO clients (branch, name) VALUES ('$branch', 'A2 first written');" a2-written ||
	diag "session A did not write"
b2_id=$(insert_client "$branch" "B2 written second")
api GET "/api/changes?since=$start&types=clients:*&branch=$branch"
is "$(printf '%s' "$BODY" | jq -r '[.changes[].id] | join(" ")' 2>/dev/null)" "$b2_id" \
	"the feed lists B2 only while A2 is uncommitted"
next=$(printf '%s' "$BODY" | jq -r .next)
b2_seq=$(printf '%s' "$BODY" | jq -r '.changes[0].seq')
in_a "COMMIT;" a2-committed || diag "session A did not commit"
a2_id=$(sql "SELECT id FROM clients WHERE branch = '$branch' AND name = 'A2 first written'")
api GET "/api/changes?since=$next&types=clients:*&branch=$branch"
is "$(printf '%s' "$BODY" | jq -r '[.changes[].id] | join(" ")' 2>/dev/null)" "$a2_id" \
	"after A2 commits, the feed from its last next ($next) lists A2"
a2_seq=$(printf '%s' "$BODY" | jq -r '.changes[0].seq')
ok "$([ "${a2_seq:-0}" -gt "${b2_seq:-0}" ]; echo $?)" "A2's seq ($a2_seq) is above B2's ($b2_seq)"
close_a

done_testing
