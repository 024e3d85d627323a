#!/bin/bash
# Keyset pagination: walking Link rel="next" gives every row exactly once in the sort order;
# bad limit and after values are refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)

# sort_override RES I: overrides making row I's sort key one of five values (ties on purpose,
# so the id tie-break is crossed by page boundaries).
sort_override() {
	local g=$(($2 % 5))
	case $1 in
	distributors | clients) echo "{\"name\":\"page row $g\",\"code\":null}" ;;
	appointments) echo "{\"scheduled_at\":\"2026-04-0$((g + 1))T08:00:00Z\",\"purpose\":\"row $2\"}" ;;
	visits) echo "{\"visited_at\":\"2026-04-0$((g + 1))T08:00:00Z\",\"notes\":\"row $2\"}" ;;
	campaigns) echo "{\"starts_on\":\"2026-04-0$((g + 1))\",\"ends_on\":null,\"name\":\"row $2\"}" ;;
	leave-requests) echo "{\"start_date\":\"2026-04-0$((g + 1))\",\"end_date\":\"2026-04-30\",\"employee\":\"row $2\"}" ;;
	*) echo "{\"${LABEL_FIELD[$1]}\":\"row $2\"}" ;;
	esac
}

# walk PATH: follow Link rel="next" from PATH; sets WALK_IDS (ids in order, one a line),
# WALK_SIZES (page sizes), WALK_LINKS (1 or 0 per page: had a next link) and WALK_ERR.
walk() {
	local path=$1 n=0 next
	WALK_IDS= WALK_SIZES= WALK_LINKS= WALK_ERR=
	while [ -n "$path" ] && [ $n -lt 100 ]; do
		api GET "$path"
		if [ "$STATUS" != 200 ]; then
			WALK_ERR="page $((n + 1)): HTTP $STATUS ${BODY:0:300} for $path"
			return 1
		fi
		WALK_IDS="$WALK_IDS$(jqb '.[].id')
"
		WALK_SIZES="$WALK_SIZES $(jqb length)"
		next=$(next_link)
		if [ -n "$next" ]; then WALK_LINKS="$WALK_LINKS 1"; else WALK_LINKS="$WALK_LINKS 0"; fi
		path=$next n=$((n + 1))
	done
	WALK_IDS=$(printf '%s' "$WALK_IDS" | sed '/^$/d')
	WALK_SIZES=${WALK_SIZES# } WALK_LINKS=${WALK_LINKS# }
}

# db_order RES DIR-OF-ID: the ids of the branch in the README's order (key, then id).
db_order() {
	local t key dir iddir
	t=$(table "$1") key=${SORT_KEY[$1]} dir=${SORT_DIR[$1]} iddir=${2:-${SORT_DIR[$1]}}
	sql "select id from $t where branch = '$BR-$1' order by $key $dir, id $iddir"
}

for res in $RESOURCES; do
	t=$(table "$res")
	RB="$BR-$res"     # a branch per resource: the parents samples make live elsewhere
	made=0
	for i in $(seq 0 24); do
		sample "$res" "$RB" "$(sort_override "$res" "$i")"
		create "$res" "$SAMPLE" && made=$((made + 1))
	done
	# rows created one by one have distinct created_at: make ties there too
	if [ "${SORT_KEY[$res]}" = created_at ]; then
		sql "update $t set created_at = timestamptz '2026-04-01 08:00:00+00' + (x.n % 5) * interval '1 hour'
		     from (select id, row_number() over (order by id) as n from $t where branch = '$RB') x
		     where $t.id = x.id" >/dev/null || diag "could not set created_at"
	fi
	is "$made/$(branch_rows "$res" "$RB")" "25/25" "$res: 25 rows created in the branch"

	walk "/api/$res?branch=$RB&limit=10"
	[ -z "$WALK_ERR" ] || diag "$WALK_ERR"
	is "$WALK_SIZES" "10 10 5" "$res: limit=10 gives pages of 10, 10 and 5"
	is "$WALK_LINKS" "1 1 0" "$res: every page but the last has Link rel=next"
	is "$(printf '%s\n' "$WALK_IDS" | sort -u | grep -c .)" 25 "$res: the walk gives 25 distinct rows"
	want=$(db_order "$res")
	if [ "${SORT_DIR[$res]}" = desc ] && [ "$WALK_IDS" != "$want" ]; then
		alt=$(db_order "$res" asc)   # newest first; ties may reasonably go by id ascending
		[ "$WALK_IDS" = "$alt" ] && want=$alt
	fi
	if [ "$WALK_IDS" = "$want" ]; then
		ok 0 "$res: the walk follows the sort order (${SORT_KEY[$res]} ${SORT_DIR[$res]}, then id)"
	else
		ok 1 "$res: the walk follows the sort order (${SORT_KEY[$res]} ${SORT_DIR[$res]}, then id)"
		# shellcheck disable=SC2086
		diag "got:" $WALK_IDS "expected:" $want
	fi

	api GET "/api/$res?branch=$RB"
	is "$(jqb length)/$(next_link)" "25/" "$res: the default limit gives all 25 and no Link"

	for bad in 0 -1 abc 10001 1.5 ''; do
		api GET "/api/$res?branch=$RB&limit=$bad"
		is_error 400 invalid_parameter "" "$res: limit=$bad is 400 invalid_parameter"
	done
	api GET "/api/$res?branch=$RB&limit=10000"
	is_status 200 "$res: limit=10000 (the maximum) is accepted"
	api GET "/api/$res?branch=$RB&after=garbage"
	is_error 400 invalid_parameter "" "$res: after=garbage is 400 invalid_parameter"
	api GET "/api/$res?branch=$RB&after=%00%FF%FE"
	is_error 400 invalid_parameter "" "$res: after=<binary junk> is 400 invalid_parameter"
done

# clients only: exact page multiples, a filtered walk, and the limit edge
walk "/api/clients?branch=$BR-clients&limit=25"
is "$WALK_SIZES/$WALK_LINKS" "25/0" "clients: limit=25 over 25 rows is one page without Link"
walk "/api/clients?branch=$BR-clients&limit=5"
is "$WALK_SIZES/$WALK_LINKS" "5 5 5 5 5/1 1 1 1 0" "clients: limit=5 gives 5 full pages, the last without Link"
walk "/api/clients?branch=$BR-clients&limit=1"
is "$(printf '%s\n' "$WALK_IDS" | grep -c .)" 25 "clients: limit=1 walks 25 pages of one"
is "$WALK_IDS" "$(db_order clients)" "clients: limit=1 keeps the order across ties"

# a filter survives the Link: make 7 of the 25 inactive and walk status=inactive by 3
sql "update clients set status = 'inactive' where id in
     (select id from clients where branch = '$BR-clients' order by id limit 7)" >/dev/null || diag "could not set status"
walk "/api/clients?branch=$BR-clients&status=inactive&limit=3"
is "$WALK_SIZES/$WALK_LINKS" "3 3 1/1 1 0" "clients: a filtered walk pages over the matching rows only"
is "$(printf '%s\n' "$WALK_IDS" | sort | tr '\n' ' ')" \
	"$(sql "select id from clients where branch = '$BR-clients' and status = 'inactive' order by id" | tr '\n' ' ')" \
	"clients: the Link keeps the filters"

# sort keys a cursor must carry intact: separators, URL metacharacters, non-ASCII, ties
TB="$BR-tricky"
made=0
for name in 'x|y' 'x|y' 'x+y' 'x+y' 'x y' 'x%y' 'x&y' 'x=y' 'x;y' 'x,y' 'x"y' "x'y" 'x<y>' 'x\\y' \
	'äöü' 'ÄÖÜ' '日本' 'x#y' 'x?y' 'x/y' ' x' 'x ' 'x%7Cy' 'x|' '|x'; do
	create clients "$(jq -cn --arg b "$TB" --arg n "$name" '{branch: $b, name: $n}')" && made=$((made + 1))
done
is "$made" 25 "clients: 25 rows with awkward names"
walk "/api/clients?branch=$TB&limit=2"
[ -z "$WALK_ERR" ] || diag "$WALK_ERR"
is "$(printf '%s\n' "$WALK_IDS" | grep -c .)/$(printf '%s\n' "$WALK_IDS" | sort -u | grep -c .)" "25/25" \
	"clients: walking awkward names by 2 gives 25 rows, each once"
is "$WALK_IDS" "$(sql "select id from clients where branch = '$TB' order by name, id")" \
	"clients: ... in name, id order"
walk "/api/clients?branch=$TB&search=$(enc 'x y')&limit=1"
is "$WALK_SIZES/$WALK_LINKS" "1/0" "clients: search with a space pages correctly (one row)"
walk "/api/clients?branch=$TB&search=$(enc '|')&limit=1"
is "$(printf '%s\n' "$WALK_IDS" | grep -c .)" 4 "clients: search=| walks its 4 rows one by one, the filter kept"
walk "/api/clients?branch=$TB&search=$(enc '+')&limit=1"
is "$(printf '%s\n' "$WALK_IDS" | grep -c .)" 2 "clients: search=+ walks its 2 rows, the + not turned into a space"

# timestamps a cursor must carry to the microsecond
MB="$BR-micro"
for i in 1 2 3 4 5 6 7 8 9; do
	sample appointments "$MB" "{\"scheduled_at\":\"2026-04-01T08:00:00.00000${i}Z\",\"purpose\":\"micro $i\"}"
	create appointments "$SAMPLE"
done
walk "/api/appointments?branch=$MB&limit=2"
is "$(printf '%s\n' "$WALK_IDS" | grep -c .)/$(printf '%s\n' "$WALK_IDS" | sort -u | grep -c .)" "9/9" \
	"appointments: scheduled_at a microsecond apart: 9 rows, each once"
is "$WALK_IDS" "$(sql "select id from appointments where branch = '$MB' order by scheduled_at, id")" \
	"appointments: ... in scheduled_at order"
for i in $(seq 1 12); do
	sample finance-cash-requests "$MB" "{\"purpose\":\"natural $i\"}"
	create finance-cash-requests "$SAMPLE"
done
walk "/api/finance-cash-requests?branch=$MB&limit=5"
is "$(printf '%s\n' "$WALK_IDS" | grep -c .)/$(printf '%s\n' "$WALK_IDS" | sort -u | grep -c .)" "12/12" \
	"finance-cash-requests: rows created one by one walk 12, each once"
is "$WALK_IDS" "$(sql "select id from finance_cash_requests where branch = '$MB' order by created_at desc, id desc")" \
	"finance-cash-requests: ... newest first"

# a cursor from one walk still works after the row it points at is deleted
api GET "/api/clients?branch=$BR-clients&limit=10"
next=$(next_link)
last=$(jqb '.[-1].id')
api DELETE "/api/clients?id=$last"
api GET "$next"
is "$STATUS/$(jqb length)" "200/10" "clients: a cursor survives the deletion of its row"

done_testing
