#!/bin/bash
# What a user cannot see never leaks through the side doors of REST: another user's
# Idempotency-Key never replays its answer, a version conflict on a row out of sight is a 404
# (no error.current), the Link cursors of a list stay in the user's branches, and the changes
# feed leaves out other branches' entries and other users' own-only rows, tombstones included.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-auth.sh
. "$(dirname "$0")/lib-auth.sh"

require_stack

A=$(new_branch) B=$(new_branch)
declare -A LOGIN=() TOK=()
for who in rep1 rep2; do
	sign_in "$who" rep "$A"
done

# ---------------------------------------------------------------- Idempotency-Key
key="t7110-$(uniq_token)"
body="{\"branch\":\"$A\",\"name\":\"keyed $key\"}"
as_json rep1 POST /api/clients "$body" -H "Idempotency-Key: $key"
is_status 201 "rep1's keyed POST is 201"
rep1_id=$(jqb .id)
as_json rep2 POST /api/clients "$body" -H "Idempotency-Key: $key"
is_status 201 "rep2's POST with the same key and body is 201"
is "$(header Idempotent-Replay)" "" "... and no replay"
ok "$([ -n "$(jqb .id)" ] && [ "$(jqb .id)" != "$rep1_id" ]; echo $?)" "... of a row of its own, not rep1's" || show_last
is "$(count_rows clients "branch = '$A' and name = 'keyed $key'")" 2 "... so there are two rows"
as_json rep1 POST /api/clients "$body" -H "Idempotency-Key: $key"
is "$(header Idempotent-Replay) $(jqb .id)" "true $rep1_id" "rep1's own repeat still replays its own answer"

# ---------------------------------------------------------------- version conflict out of sight
sample clients "$A"
create clients "$SAMPLE" || bail_out "cannot make a client"
moved=$ID
as rep1 GET "/api/clients?id=$moved"
is_status 200 "rep1 reads a client of A (version 1)"
json PUT /api/clients "{\"id\":\"$moved\",\"branch\":\"$B\"}"
is_status 200 "the admin moves it to B (version 2)"
before=$(sql "select row(c.*)::text from clients c where id = '$moved'")
as_json rep1 PUT /api/clients "{\"id\":\"$moved\",\"version\":1,\"notes\":\"stale\"}"
is_error 404 not_found "" "rep1's stale PUT of the row now in B is 404, not 409"
is "$(jqb '.error | has("current")')" false "... and the error holds no current row"
ok "$([[ $BODY != *"$B"* ]]; echo $?)" "... nor B's name anywhere" || show_last
is "$(sql "select row(c.*)::text from clients c where id = '$moved'")" "$before" "... and the row is unchanged"

# ---------------------------------------------------------------- Link cursors
# Rows of A and B made in turn, so every page boundary of the list lies next to a row of B.
a_ids=()
for i in 1 2 3 4 5; do
	for b in "$A" "$B"; do
		sample clients "$b" "{\"name\":\"paged $i\"}"
		create clients "$SAMPLE" || bail_out "cannot make a client"
		[ "$b" = "$A" ] && a_ids+=("$ID")
	done
done
a_ids+=("$rep1_id" "$(sql "select id from clients where branch = '$A' and name = 'keyed $key' and id <> '$rep1_id'")")
# pages WHO PATH: follows the rel="next" Links from PATH as WHO (at most 50 pages); sets
# PAGED (every id, one per line), PAGED_BRANCHES (the branches seen) and PAGES.
pages() {
	local who=$1 path=$2
	PAGED= PAGED_BRANCHES= PAGES=0
	while [ -n "$path" ] && [ "$PAGES" -lt 50 ]; do
		as "$who" GET "$path"
		[ "$STATUS" = 200 ] || { show_last; break; }
		PAGES=$((PAGES + 1))
		PAGED+=$(jqb '.[].id')$'\n'
		PAGED_BRANCHES+=$(jqb '.[].branch')$'\n'
		path=$(next_link)
	done
}
pages rep1 "/api/clients?limit=1"
is "$(grep -c . <<<"$PAGED")" "${#a_ids[@]}" "rep1's list, one row a page, holds every client of A ($PAGES pages)"
is "$(grep . <<<"$PAGED_BRANCHES" | sort -u)" "$A" "... and only rows of A"
is "$(grep . <<<"$PAGED" | sort)" "$(printf '%s\n' "${a_ids[@]}" | sort)" "... exactly A's clients"
# A cursor the admin's list of B handed out leads rep1 no further into B.
api GET "/api/clients?branch=$(enc "$B")&limit=1"
cursor=$(next_link)
like "$cursor" 'after=' "the admin's list of B has a next page"
after=$(sed -n 's/.*[?&]after=\([^&]*\).*/\1/p' <<<"$cursor")
pages rep1 "/api/clients?limit=1&after=$after"
is "$(grep . <<<"$PAGED_BRANCHES" | sort -u | grep -vx "$A")" "" "rep1 following a cursor of B's list sees only rows of A"
pages rep1 "$cursor"
is "$(grep . <<<"$PAGED_BRANCHES" | grep -vx "$A")" "" "... also with B's filter kept"

# ---------------------------------------------------------------- the changes feed
api GET /api/changes
since=$(jqb .next)
like "$since" '^[0-9]+$' "the feed tells where it is"
declare -A FEED_ID=()
# feed_row NAME RES BRANCH [OVERRIDES]: a row made by the admin, remembered as NAME.
feed_row() {
	sample "$2" "$(if [ "$3" = A ]; then echo "$A"; else echo "$B"; fi)" "${4:-}"
	create "$2" "$SAMPLE" || bail_out "cannot make $1"
	FEED_ID[$1]=$ID
}
feed_row client_a clients A
feed_row client_b clients B
feed_row cash_rep1 finance-cash-requests A "{\"requested_by\":\"${LOGIN[rep1]}\",\"approved_by\":null}"
feed_row cash_rep2 finance-cash-requests A "{\"requested_by\":\"${LOGIN[rep2]}\",\"approved_by\":null}"
feed_row cash_b finance-cash-requests B "{\"requested_by\":\"${LOGIN[rep1]}\",\"approved_by\":null}"
json PUT /api/clients "{\"id\":\"${FEED_ID[client_b]}\",\"notes\":\"updated\"}"
json PUT /api/finance-cash-requests "{\"id\":\"${FEED_ID[cash_rep2]}\",\"purpose\":\"updated\"}"
for n in client_b cash_rep2 cash_b client_a; do
	case $n in client*) r=clients ;; *) r=finance-cash-requests ;; esac
	api DELETE "/api/$r?id=${FEED_ID[$n]}"
	[ "$STATUS" = 204 ] || { diag "setup: the admin's DELETE of $n"; show_last; }
done
# feed WHO: every entry after $since as WHO, one compact JSON object a line (FEED).
feed() {
	local s=$since more=true n=0
	FEED=
	while [ "$more" = true ] && [ $n -lt 100 ]; do
		as "$1" GET "/api/changes?since=$s&limit=1000"
		[ "$STATUS" = 200 ] || { show_last; break; }
		FEED+=$(jqb '.changes[] | tojson')$'\n'
		s=$(jqb .next) more=$(jqb .more) n=$((n + 1))
	done
}
feed rep1
# entries NAME: "action ..." of the feed's entries of row NAME, in order.
entries() { jq -r --arg id "${FEED_ID[$1]}" 'select(.id == $id) | .type | sub(".*:"; "")' <<<"$FEED" | xargs; }
is "$(entries client_a)" "create delete" "rep1's feed holds A's client, its tombstone too"
is "$(entries cash_rep1)" create "... and rep1's own cash request"
is "$(entries client_b)" "" "... nothing of B's client (create, update, delete)"
is "$(entries cash_b)" "" "... nothing of rep1's cash request in B"
is "$(entries cash_rep2)" "" "... nothing of rep2's cash request (create, update, delete)"
is "$(jq -r 'select(.branch != null) | .branch' <<<"$FEED" | sort -u | grep -vx "$A")" "" \
	"... and no entry of any branch but A"
feed rep2
is "$(entries cash_rep2)" "create update delete" "rep2's feed holds its own cash request, tombstone included"
is "$(entries cash_rep1)" "" "... and not rep1's"

done_testing
