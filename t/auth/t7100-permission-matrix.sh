#!/bin/bash
# The permission matrix (issue 8): every role x resource x verb, in the user's branch (A) and
# in another (B), on the user's own rows and on someone else's, against the table below. The
# table is the specification, written here as data: never read from the binaries' --describe,
# or a wrong declaration could not be caught. Every refusal is checked for its JSON error code
# and for the database holding exactly what it held before (psql).
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-auth.sh
. "$(dirname "$0")/lib-auth.sh"

require_stack

# What each role may do with each resource, in the branches it holds:
#   R=all|own   read every row, or only its own (the owner column holds its login)
#   C=all|own   create rows (own: only rows it owns)
#   U=all|own   update rows
#   D=all       delete rows
#   sets=a,b    the only statuses a create or an update may write (none: any)
#   while=a,b   the only statuses a row may be in to be updated or deleted (none: any)
# A role not listed may do nothing with the resource: its list is 403, GET ?id= 404, POST 403.
# In a branch the role does not hold: the list leaves the row out, GET/PUT/DELETE 404, POST 403.
# admin may do everything in every branch.
EXPECTED='
clients               rep      R=all C=all U=all D=all
clients               manager  R=all C=all U=all D=all
clients               finance  R=all
appointments          rep      R=all C=all U=all D=all
appointments          manager  R=all C=all U=all D=all
appointments          finance  R=all
visits                rep      R=all C=all U=all D=all
visits                manager  R=all C=all U=all D=all
visits                finance  R=all
distributors          rep      R=all
distributors          manager  R=all C=all U=all D=all
distributors          finance  R=all
campaigns             rep      R=all
campaigns             manager  R=all C=all U=all D=all
campaigns             finance  R=all
stock-requests        rep      R=all C=own U=own sets=pending while=pending
stock-requests        manager  R=all C=all U=all D=all
stock-requests        finance  R=all
finance-cash-requests rep      R=own C=own sets=pending
finance-cash-requests manager  R=all C=all sets=pending
finance-cash-requests finance  R=all C=all U=all D=all
leave-requests        rep      R=own C=own U=own sets=pending,cancelled while=pending
leave-requests        manager  R=all U=all sets=approved,rejected while=pending
leave-requests        hr       R=all C=all U=all D=all
'
# The owner column of the resources that have one (it holds a login).
declare -A OWNER=([stock-requests]=requested_by [finance-cash-requests]=requested_by [leave-requests]=employee)
# A field a PUT may change without touching anything the grants look at, and its new value.
declare -A HARMLESS=([clients]=notes [appointments]=notes [visits]=notes [distributors]=notes
	[campaigns]=channel [stock-requests]=notes [finance-cash-requests]=currency [leave-requests]=reason)
declare -A HARMLESS_VALUE=([finance-cash-requests]='"USD"')
MATRIX=(clients appointments visits distributors campaigns stock-requests finance-cash-requests leave-requests)

declare -A GRANT=()
while read -r res role grants; do
	[ -n "$res" ] && GRANT[$res/$role]=$grants
done <<<"$EXPECTED"

# ---------------------------------------------------------------- the people
A=$(new_branch) B=$(new_branch)
ACTORS=(rep1 rep2 manager finance hr admin)
declare -A ROLE=([rep1]=rep [rep2]=rep [manager]=manager [finance]=finance [hr]=hr [admin]=admin)
declare -A LOGIN=([admin]=$SUITE_LOGIN) TOK=([admin]=$SUITE_TOKEN)
for who in rep1 rep2 manager finance hr; do
	sign_in "$who" "${ROLE[$who]}" "$A"
done

# ---------------------------------------------------------------- what the table says

# grant RES WHO KEY: the value of KEY (R C U D sets while) in the grant of WHO's role for RES;
# empty when there is none. admin: R C U D are "all", sets and while empty (any).
grant() {
	local g
	if [ "$2" = admin ]; then
		case $3 in R | C | U | D) echo all ;; esac
		return 0
	fi
	g=" ${GRANT[$1/${ROLE[$2]}]:-} "
	[[ $g == *" $3="* ]] || return 0
	g=${g#* "$3"=}
	printf '%s\n' "${g%% *}"
}

# in_list VALUE LIST: LIST (comma-separated) is empty (any), VALUE is empty (not written), or
# LIST holds VALUE.
in_list() { [ -z "$2" ] || [ -z "$1" ] || [[ ",$2," == *",$1,"* ]]; }

# sees RES WHO BRANCH OWNER: WHO can read a row of RES in BRANCH (A or B) owned by OWNER (a
# person of ACTORS, "-" for none).
sees() {
	[ "$2" = admin ] && return 0
	[ "$3" = A ] || return 1
	case $(grant "$1" "$2" R) in
	all) return 0 ;;
	own) [ "$4" = "$2" ] ;;
	*) return 1 ;;
	esac
}

# may RES WHO OP BRANCH OWNER STATUS NEW_STATUS: WHO may do OP (C U D) to such a row: STATUS
# is the row's now (update, delete), NEW_STATUS the one written (create, update; empty: none).
may() {
	local res=$1 who=$2 op=$3 b=$4 owner=$5 st=$6 new=$7
	[ "$who" = admin ] && return 0
	[ "$b" = A ] || return 1
	case $(grant "$res" "$who" "$op") in
	all) ;;
	own) [ "$owner" = "$who" ] || return 1 ;;
	*) return 1 ;;
	esac
	if [ "$op" != C ]; then in_list "$st" "$(grant "$res" "$who" while)" || return 1; fi
	if [ "$op" != D ]; then in_list "$new" "$(grant "$res" "$who" sets)" || return 1; fi
}

# expect_write RES WHO OP BRANCH OWNER STATUS NEW_STATUS: the answer PUT or DELETE must give
# (404 for a row WHO cannot see, 403 for one it sees but may not change).
expect_write() {
	if ! sees "$1" "$2" "$4" "$5"; then
		echo 404
	elif may "$@"; then
		case $3 in U) echo 200 ;; D) echo 204 ;; esac
	else
		echo 403
	fi
}

# ---------------------------------------------------------------- rows

# One psql session for the whole test: the checks ask the database a thousand times, and a
# psql started for each would cost more than the requests themselves.
coproc DB { psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=0 2>&1; }
# db QUERY: QUERY's rows (unaligned, tuples only) from that session; 1 when it does not answer.
db() {
	local line out=
	printf '%s;\nselect %s;\n' "$1" "'<end of answer>'" >&"${DB[1]}" || return 1
	while IFS= read -r -t 10 line <&"${DB[0]}"; do
		if [ "$line" = '<end of answer>' ]; then
			printf '%s\n' "$out"
			return 0
		fi
		out+=${out:+$'\n'}$line
	done
	diag "psql did not answer: $1"
	return 1
}

# branch_of A|B: the name of that branch.
branch_of() { if [ "$1" = A ]; then echo "$A"; else echo "$B"; fi; }

# snap RES ID: the whole row as text, "gone" when there is none.
snap() { db "select coalesce((select row(t.*)::text from $(table "$1") t where id = '$2'), 'gone')"; }

# body_of RES BRANCH OWNER STATUS: sets SAMPLE to a new row of RES in BRANCH (A or B) owned by
# OWNER ("-": the example's owner), in STATUS (empty: the example's), with a fresh id (ROW_ID)
# and no approver. One sample per resource and branch (its parents made once), then only jq.
declare -A TEMPLATE=() UNIQUE=()
body_of() {
	local res=$1 key=$1/$2
	if [ -z "${TEMPLATE[$key]:-}" ]; then
		sample "$res" "$(branch_of "$2")"
		TEMPLATE[$key]=$SAMPLE
		UNIQUE[$res]=$(jq -r '[.columns[] | select(.unique and .type == "text") | .name] | join(" ")' \
			<<<"${DESCRIBE[$res]}")
	fi
	ROW_ID=$(uuid)
	SAMPLE=$(jq -c --arg id "$ROW_ID" --arg st "$4" --arg oc "${OWNER[$res]:-}" --arg ol "${LOGIN[$3]:-}" \
		--arg tok "$(uniq_token)" --arg u "${UNIQUE[$res]}" '
		. + {id: $id} + (if $st == "" then {} else {status: $st} end)
		+ (if $oc != "" and $ol != "" then {($oc): $ol} else {} end)
		| reduce ($u | split(" ")[] | select(. != "")) as $c (.; .[$c] = "\(.[$c])\($tok)")
		| del(.approved_by)' <<<"${TEMPLATE[$key]}")
}

# fresh RES BRANCH OWNER [STATUS]: a new row made by the suite's admin; sets ROW_ID. 1 on failure.
fresh() {
	body_of "$1" "$2" "$3" "${4:-}"
	json POST "/api/$1" "$SAMPLE"
	[ "$STATUS" = 201 ] && return 0
	diag "setup failed: the admin's POST /api/$1"
	show_last
	return 1
}

# status_of RES ID: the row's status in the database (empty for a resource without one).
status_of() {
	[ -n "${STATUSES[$1]}" ] || return 0
	db "select status from $(table "$1") where id = '$2'"
}

# first_status RES [NOT_IN] [IN]: the first status of RES (declaration order) not in the
# comma-separated NOT_IN and, when IN is given, in IN; empty when there is none.
first_status() {
	local s
	for s in ${STATUSES[$1]}; do
		[[ ",${2:-}," == *",$s,"* ]] && continue
		if [ -n "${3:-}" ] && [[ ",$3," != *",$s,"* ]]; then continue; fi
		echo "$s"
		return 0
	done
}

# verdict WANT DESCRIPTION [RES ID BEFORE]: the last answer has status WANT; a 403 is the JSON
# error forbidden, a 404 not_found, and then the row (RES ID) is still BEFORE. One test point.
verdict() {
	local want=$1 d=$2 res=${3:-} id=${4:-} before=${5:-} why= code after
	[ "$STATUS" = "$want" ] || why="HTTP $STATUS, expected $want"
	case $want in
	403 | 404)
		code=$(jqb .error.code)
		[ "$want" = 403 ] && [ "$code" != forbidden ] && why="${why:+$why; }error.code '$code', expected forbidden"
		[ "$want" = 404 ] && [ "$code" != not_found ] && why="${why:+$why; }error.code '$code', expected not_found"
		if [ -n "$id" ]; then
			after=$(snap "$res" "$id")
			[ "$after" = "$before" ] || why="${why:+$why; }the row changed: $before -> $after"
		fi
		;;
	esac
	if [ -z "$why" ]; then
		ok 0 "$d"
	else
		ok 1 "$d"
		diag "$why"
		show_last
		return 1
	fi
}

# row_name OWNER BRANCH: how the test names a row.
row_name() { if [ "$1" = - ]; then echo "the row in $2"; else echo "$1's row in $2"; fi; }

# ---------------------------------------------------------------- the seeds
# For every resource one row in A and one in B; with an owner column, rows in A of rep1 and of
# rep2 and rep1's in B. All made by the suite's admin, all pending (where there is a status).
declare -A SEED=() KINDS=()
for res in "${MATRIX[@]}"; do
	[ -n "${DESCRIBE[$res]:-}" ] || bail_out "no resource $res among the binaries"
	if [ -n "${OWNER[$res]:-}" ]; then KINDS[$res]="A:rep1 A:rep2 B:rep1"; else KINDS[$res]="A:- B:-"; fi
	st=
	[[ " ${STATUSES[$res]} " == *" pending "* ]] && st=pending
	for k in ${KINDS[$res]}; do
		fresh "$res" "${k%%:*}" "${k#*:}" "$st" || bail_out "cannot seed $res"
		SEED[$res/$k]=$ROW_ID
		name_id "$ROW_ID" "$res:$k"
	done
done

# ---------------------------------------------------------------- the matrix

# check_list RES WHO: the list holds the seeds WHO sees and none other; nothing of another
# branch, and only own rows when WHO reads only its own. admin: the list of each branch.
check_list() {
	local res=$1 who=$2 k b o id got owner
	if [ "$who" = admin ]; then
		for k in ${KINDS[$res]}; do
			b=${k%%:*} id=${SEED[$res/$k]}
			as admin GET "/api/$res?branch=$(enc "$(branch_of "$b")")&limit=10000"
			ok "$(jqb 'any(.[]; .id == $id)' --arg id "$id" | grep -qx true; echo $?)" \
				"admin $res: the list of $b holds $(row_name "${k#*:}" "$b")" || show_last
		done
		return
	fi
	as "$who" GET "/api/$res?limit=10000"
	if [ -z "$(grant "$res" "$who" R)" ]; then
		verdict 403 "$who $res: the list is 403 (no read in any branch it holds)"
		return
	fi
	[ "$STATUS" = 200 ] || { verdict 200 "$who $res: the list answers 200"; return; }
	got=$BODY
	for k in ${KINDS[$res]}; do
		b=${k%%:*} o=${k#*:} id=${SEED[$res/$k]}
		if sees "$res" "$who" "$b" "$o"; then
			ok "$(jq -e --arg id "$id" 'any(.[]; .id == $id)' <<<"$got" >/dev/null; echo $?)" \
				"$who $res: the list holds $(row_name "$o" "$b")" || show_last
		else
			ok "$(jq -e --arg id "$id" 'any(.[]; .id == $id) | not' <<<"$got" >/dev/null; echo $?)" \
				"$who $res: the list leaves out $(row_name "$o" "$b")" || show_last
		fi
	done
	ok "$(jq -e --arg b "$A" 'all(.[]; .branch == $b)' <<<"$got" >/dev/null; echo $?)" \
		"$who $res: every row of the list is of A" || show_last
	if [ "$(grant "$res" "$who" R)" = own ]; then
		owner=${OWNER[$res]}
		ok "$(jq -e --arg c "$owner" --arg l "${LOGIN[$who]}" 'all(.[]; .[$c] == $l)' <<<"$got" >/dev/null; echo $?)" \
			"$who $res: every row of the list is its own" || show_last
	fi
}

# check_get RES WHO: GET ?id= of each seed: 200 when WHO sees it, else 404.
check_get() {
	local res=$1 who=$2 k b o id
	for k in ${KINDS[$res]}; do
		b=${k%%:*} o=${k#*:} id=${SEED[$res/$k]}
		as "$who" GET "/api/$res?id=$id"
		if sees "$res" "$who" "$b" "$o"; then
			verdict 200 "$who $res: GET ?id= of $(row_name "$o" "$b") is 200" &&
				is "$(jqb .id)" "$id" "$who $res: ... and is that row"
		else
			verdict 404 "$who $res: GET ?id= of $(row_name "$o" "$b") is 404"
		fi
	done
}

# harmless_put WHO RES ID BRANCH OWNER STATUS WHAT: PUT the harmless field of row ID; checks
# the answer the table gives, and for a 200 the new value in the database.
harmless_put() {
	local who=$1 res=$2 id=$3 b=$4 o=$5 st=$6 what=$7 f=${HARMLESS[$2]} v want before
	v=${HARMLESS_VALUE[$res]:-$(jq -cn --arg w "$who" '"changed by \($w)"')}
	want=$(expect_write "$res" "$who" U "$b" "$o" "$st" "")
	before=$(snap "$res" "$id")
	as_json "$who" PUT "/api/$res" "$(jq -cn --arg id "$id" --arg f "$f" --argjson v "$v" '{id: $id, ($f): $v}')"
	verdict "$want" "$who $res: PUT $f of $what is $want" "$res" "$id" "$before" || return 0
	if [ "$want" = 200 ]; then
		is "$(db "select to_json($f) from $(table "$res") where id = '$id'")" "$v" "$who $res: ... and $f changed"
	fi
}

# check_put RES WHO: a harmless PUT on each seed.
check_put() {
	local res=$1 who=$2 k b o st
	for k in ${KINDS[$res]}; do
		b=${k%%:*} o=${k#*:}
		st=$(status_of "$res" "${SEED[$res/$k]}")
		harmless_put "$who" "$res" "${SEED[$res/$k]}" "$b" "$o" "$st" "$(row_name "$o" "$b")"
	done
}

# status_put WHO RES ID BRANCH OWNER FROM TO WHAT: PUT status TO on row ID (in FROM now).
status_put() {
	local who=$1 res=$2 id=$3 b=$4 o=$5 from=$6 to=$7 what=$8 want before
	want=$(expect_write "$res" "$who" U "$b" "$o" "$from" "$to")
	before=$(snap "$res" "$id")
	as_json "$who" PUT "/api/$res" "{\"id\":\"$id\",\"status\":\"$to\"}"
	verdict "$want" "$who $res: PUT status $from -> $to of $what is $want" "$res" "$id" "$before" || return 0
	if [ "$want" = 200 ]; then
		is "$(status_of "$res" "$id")" "$to" "$who $res: ... and the row is $to"
	fi
}

# check_status RES WHO: on a fresh row of each kind, a status WHO may write (if any but the
# current) and one it may not (if its grant limits them).
check_status() {
	local res=$1 who=$2 k b o from sets targets to
	[ -n "${STATUSES[$res]}" ] || return 0
	sets=$(grant "$res" "$who" sets)
	for k in ${KINDS[$res]}; do
		b=${k%%:*} o=${k#*:}
		from=$(status_of "$res" "${SEED[$res/$k]}")
		if [ -n "$sets" ]; then
			targets="$(first_status "$res" "$from" "$sets") $(first_status "$res" "$from,$sets")"
		else
			targets=$(first_status "$res" "$from")
		fi
		for to in $targets; do
			fresh "$res" "$b" "$o" "$from" || continue
			status_put "$who" "$res" "$ROW_ID" "$b" "$o" "$from" "$to" "$(row_name "$o" "$b") (a fresh one)"
		done
	done
}

# check_while RES WHO: where WHO's updates are limited to some statuses, a row of A in another
# status (WHO's own when only own rows) takes neither a harmless PUT nor a status it may set.
check_while() {
	local res=$1 who=$2 w o st to
	w=$(grant "$res" "$who" while)
	[ -n "$w" ] && [ -n "$(grant "$res" "$who" U)" ] || return 0
	o=rep1
	[ "$(grant "$res" "$who" U)" = own ] && o=$who
	st=$(first_status "$res" "$w")
	fresh "$res" A "$o" "$st" || return 0
	harmless_put "$who" "$res" "$ROW_ID" A "$o" "$st" "$(row_name "$o" A) in status $st"
	to=$(first_status "$res" "$st" "$(grant "$res" "$who" sets)")
	[ -n "$to" ] || return 0
	fresh "$res" A "$o" "$st" || return 0
	status_put "$who" "$res" "$ROW_ID" A "$o" "$st" "$to" "$(row_name "$o" A)"
}

# check_delete RES WHO: DELETE a fresh row of each kind.
check_delete() {
	local res=$1 who=$2 k b o st want before
	for k in ${KINDS[$res]}; do
		b=${k%%:*} o=${k#*:}
		st=$(status_of "$res" "${SEED[$res/$k]}")
		fresh "$res" "$b" "$o" "$st" || continue
		want=$(expect_write "$res" "$who" D "$b" "$o" "$st" "")
		before=$(snap "$res" "$ROW_ID")
		as "$who" DELETE "/api/$res?id=$ROW_ID"
		verdict "$want" "$who $res: DELETE $(row_name "$o" "$b") (a fresh one) is $want" "$res" "$ROW_ID" "$before" ||
			continue
		if [ "$want" = 204 ]; then
			is "$(snap "$res" "$ROW_ID")" gone "$who $res: ... and the row is gone"
		fi
	done
}

# post_one RES WHO BRANCH OWNER STATUS WHAT: POST a new row as WHO; 201 and the row written,
# or 403 and nothing written.
post_one() {
	local res=$1 who=$2 b=$3 o=$4 st=$5 what=$6 want=403
	may "$res" "$who" C "$b" "$o" "" "$st" && want=201
	body_of "$res" "$b" "$o" "$st"
	as_json "$who" POST "/api/$res" "$SAMPLE"
	verdict "$want" "$who $res: POST $what is $want" || return 0
	if [ "$want" = 201 ]; then
		is "$(db "select count(*) from $(table "$res") where id = '$ROW_ID'")" 1 "$who $res: ... and the row is written"
	else
		is "$(db "select count(*) from $(table "$res") where id = '$ROW_ID'")" 0 "$who $res: ... and nothing is written"
	fi
}

# check_post RES WHO: a row of its own (status one it may write) in A and in B; with an owner
# column one owned by someone else; with limited statuses one in a status it may not write.
check_post() {
	local res=$1 who=$2 o=- other st sets
	sets=$(grant "$res" "$who" sets)
	st=
	[ -n "${STATUSES[$res]}" ] && st=$(first_status "$res" "" "$sets")
	if [ -n "${OWNER[$res]:-}" ]; then
		o=$who other=rep1
		[ "$who" = rep1 ] && other=rep2
	fi
	post_one "$res" "$who" A "$o" "$st" "a row${OWNER[$res]:+ of its own} in A${st:+ ($st)}"
	post_one "$res" "$who" B "$o" "$st" "a row${OWNER[$res]:+ of its own} in B${st:+ ($st)}"
	if [ -n "${OWNER[$res]:-}" ]; then
		post_one "$res" "$who" A "$other" "$st" "$other's row in A"
	fi
	if [ -n "$sets" ]; then
		st=$(first_status "$res" "$sets")
		[ -n "$st" ] && post_one "$res" "$who" A "$o" "$st" "a row in A in status $st"
	fi
}

for res in "${MATRIX[@]}"; do
	for who in "${ACTORS[@]}"; do
		check_list "$res" "$who"
		check_get "$res" "$who"
		check_put "$res" "$who"
		check_post "$res" "$who"
		check_status "$res" "$who"
		check_while "$res" "$who"
		check_delete "$res" "$who"
	done
done

# ---------------------------------------------------------------- the cases around it

# A batch with one row rep1 may write and one it may not: 403 naming the second, nothing written.
body_of clients A -
first=$SAMPLE first_id=$ROW_ID
body_of clients B -
second=$SAMPLE second_id=$ROW_ID
as_json rep1 POST /api/clients "[$first,$second]"
ERR_INDEX=1 is_error 403 forbidden "" "rep1: POST [a client of A, a client of B] is 403 with error.index 1"
is "$(db "select count(*) from clients where id in ('$first_id', '$second_id')")" 0 "... and writes neither row"

# A manager of A moves a row to B: the row would leave its branches.
id=${SEED[clients/A:-]}
before=$(snap clients "$id")
as_json manager PUT /api/clients "{\"id\":\"$id\",\"branch\":\"$B\"}"
verdict 403 "manager: moving a client from A to B is 403" clients "$id" "$before"

# The owner of a new row: never someone else for an own-only grant, the user when not given.
body_of stock-requests A rep2 pending
as_json rep1 POST /api/stock-requests "$SAMPLE"
verdict 403 "rep1: a stock request with requested_by = rep2 is 403"
is "$(db "select count(*) from stock_requests where id = '$ROW_ID'")" 0 "... and writes nothing"
body_of stock-requests A - pending
SAMPLE=$(jq -c 'del(.requested_by)' <<<"$SAMPLE")
as_json rep1 POST /api/stock-requests "$SAMPLE"
verdict 201 "rep1: a stock request without requested_by is 201"
is "$(db "select requested_by from stock_requests where id = '$ROW_ID'")" "${LOGIN[rep1]}" \
	"... and requested_by is rep1's login"
is "$(jqb .requested_by)" "${LOGIN[rep1]}" "... in the answer too"

# Approval names the approver.
fresh finance-cash-requests A rep1 pending || bail_out "cannot make a cash request"
as_json finance PUT /api/finance-cash-requests "{\"id\":\"$ROW_ID\",\"status\":\"approved\"}"
verdict 200 "finance: approving rep1's cash request is 200"
is "$(db "select status || ' ' || coalesce(approved_by, '(none)') from finance_cash_requests where id = '$ROW_ID'")" \
	"approved ${LOGIN[finance]}" "... and approved_by is finance's login"

done_testing
