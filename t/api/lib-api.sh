# shellcheck shell=bash
# shellcheck disable=SC2034  # the tables are read by the files that source this one
# Helpers shared by the t/api tests; source after t/lib/tap.sh.
#
# Every helper works on the globals the tap.sh helpers set (STATUS, BODY, HEADERS) and adds:
# LAST_REQ (the last request, for diagnostics), ID/ROW (the last row created) and SAMPLE (a body).

# The eight resources, in the order the README lists them.
RESOURCES="distributors clients appointments stock-requests visits campaigns finance-cash-requests leave-requests"

# The field each resource's rows are told apart by in the tests (a free text column).
declare -A LABEL_FIELD=(
	[distributors]=name [clients]=name [appointments]=purpose [stock-requests]=requested_by
	[visits]=agent [campaigns]=name [finance-cash-requests]=purpose [leave-requests]=employee
)
# The required fields besides branch.
declare -A REQUIRED=(
	[distributors]="name" [clients]="name" [appointments]="client_id scheduled_at"
	[stock-requests]="requested_by items" [visits]="client_id visited_at agent"
	[campaigns]="name starts_on" [finance-cash-requests]="requested_by amount purpose"
	[leave-requests]="employee start_date end_date"
)
# The sort key of each list, and its direction.
declare -A SORT_KEY=(
	[distributors]=name [clients]=name [appointments]=scheduled_at [stock-requests]=created_at
	[visits]=visited_at [campaigns]=starts_on [finance-cash-requests]=created_at
	[leave-requests]=start_date
)
declare -A SORT_DIR=(
	[distributors]=asc [clients]=asc [appointments]=asc [stock-requests]=desc
	[visits]=desc [campaigns]=desc [finance-cash-requests]=desc [leave-requests]=desc
)
# The status values each resource accepts.
declare -A STATUSES=(
	[distributors]="active suspended terminated" [clients]="prospect active inactive"
	[appointments]="scheduled completed cancelled no_show"
	[stock-requests]="pending approved rejected fulfilled" [visits]=""
	[campaigns]="draft active paused ended" [finance-cash-requests]="pending approved rejected paid"
	[leave-requests]="pending approved rejected cancelled"
)
# A field a partial PUT changes, and the JSON value it is changed to.
declare -A UPD_FIELD=(
	[distributors]=phone [clients]=phone [appointments]=status [stock-requests]=status
	[visits]=notes [campaigns]=status [finance-cash-requests]=status [leave-requests]=status
)
declare -A UPD_VALUE=(
	[distributors]='"+27 21 555 0199"' [clients]='"+27 21 555 0199"' [appointments]='"completed"'
	[stock-requests]='"approved"' [visits]='"changed on PUT"' [campaigns]='"active"'
	[finance-cash-requests]='"approved"' [leave-requests]='"approved"'
)

# Record every request for diagnostics: wrap tap.sh's api.
eval "tap_api_raw () $(declare -f api | sed 1d)"
api() {
	local a prev= data=
	for a in "$@"; do
		[ "$prev" = --data-binary ] && data=$a
		prev=$a
	done
	[ "${#data}" -gt 300 ] && data="${data:0:300}... (${#data} bytes)"
	LAST_REQ="$1 $2${data:+ $data}"
	tap_api_raw "$@"
}

# table RES: the table behind /api/RES.
table() { printf '%s\n' "${1//-/_}"; }

# new_branch: a branch name unique to this run of this file (tNNNN-PID-RANDOM).
new_branch() { printf '%s-%s-%s\n' "$(basename "$0" .sh | cut -d- -f1)" "$$" "$RANDOM"; }

# uniq_token: a lowercase token no other run will use (for search tests and unique codes).
uniq_token() { printf 'zq%s%sx%s\n' "$$" "$RANDOM" "$RANDOM"; }

# enc STRING: STRING percent-encoded for a query string.
enc() { jq -rn --arg s "$1" '$s | @uri'; }

# jqb FILTER [JQ ARGS...]: jq -r FILTER over the last response body; empty on a non-JSON body.
jqb() {
	local f=$1; shift
	printf '%s' "$BODY" | jq -r "$@" "$f" 2>/dev/null
}

# show_last: diagnostics about the last request and its answer.
show_last() {
	diag "request:  $LAST_REQ" "answer:   HTTP $STATUS ${BODY:0:600}"
}

# is_status EXPECTED DESCRIPTION: the last response has HTTP status EXPECTED.
is_status() {
	local want=$1; shift
	if [ "$STATUS" = "$want" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "expected HTTP $want"
		show_last
		return 1
	fi
}

# is_jq FILTER EXPECTED DESCRIPTION: jq -r FILTER over the last body gives EXPECTED.
is_jq() {
	local f=$1 want=$2 got; shift 2
	got=$(jqb "$f")
	if [ "$got" = "$want" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "jq $f: got '$got', expected '$want'"
		show_last
		return 1
	fi
}

# ok_jq FILTER DESCRIPTION [JQ ARGS...]: jq -e FILTER over the last body is true.
ok_jq() {
	local f=$1 d=$2; shift 2
	if printf '%s' "$BODY" | jq -e "$@" "$f" >/dev/null 2>&1; then
		ok 0 "$d"
	else
		ok 1 "$d"
		diag "not true: jq $f"
		show_last
		return 1
	fi
}

# is_error STATUS CODE FIELD DESCRIPTION: the last response is an error in the README's shape:
# HTTP status matching ^(STATUS)$, Content-Type application/json; charset=utf-8, .error.status equal to the HTTP
# status, .error.code matching the extended regex ^(CODE)$, a message, and .error.field equal to
# FIELD unless FIELD is empty. Set ERR_INDEX to also require .error.index. One test point.
is_error() {
	local st=$1 code=$2 field=$3 why= ct got; shift 3
	ct=$(header Content-Type)
	[[ $STATUS =~ ^($st)$ ]] || why="HTTP status $STATUS, expected $st"
	if [ "${ct,,}" != "application/json; charset=utf-8" ]; then
		why="${why:+$why; }Content-Type '$ct'"
	fi
	if printf '%s' "$BODY" | jq -e '.error | type == "object"' >/dev/null 2>&1; then
		got=$(jqb '.error.status')
		[ "$got" = "$STATUS" ] || why="${why:+$why; }error.status $got but HTTP $STATUS"
		got=$(jqb '.error.code')
		[[ $got =~ ^($code)$ ]] || why="${why:+$why; }error.code '$got', expected '$code'"
		got=$(jqb '.error.message | type')
		[ "$got" = string ] || why="${why:+$why; }error.message is $got"
		if [ -n "$field" ]; then
			got=$(jqb '.error.field // "(none)"')
			[ "$got" = "$field" ] || why="${why:+$why; }error.field '$got', expected '$field'"
		fi
		if [ -n "${ERR_INDEX:-}" ]; then
			got=$(jqb '.error.index // "(none)"')
			[ "$got" = "$ERR_INDEX" ] || why="${why:+$why; }error.index '$got', expected '$ERR_INDEX'"
		fi
	else
		why="${why:+$why; }body is not a JSON error object"
	fi
	if [ -z "$why" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "$why"
		show_last
		return 1
	fi
}

# ids_sorted ID...: the ids, sorted and space-separated (the form list_is compares).
ids_sorted() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | jq -R . | jq -rs 'sort | join(" ")'
}

# Names for ids, so a failing list comparison shows which rows differ.
declare -A ID_NAME=()
name_id() { ID_NAME[$1]=$2; }
id_names() {
	local i out=
	for i in $1; do out="$out ${ID_NAME[$i]:-$i}"; done
	printf '%s\n' "${out# }"
}

# list_is RES QUERY DESCRIPTION ID...: GET /api/RES?QUERY answers 200 with exactly rows ID...
list_is() {
	local res=$1 query=$2 d=$3 got want; shift 3
	api GET "/api/$res?$query"
	want=$(ids_sorted "$@")
	if [ "$STATUS" = 200 ]; then
		got=$(jqb 'if type == "array" then [.[].id] | sort | join(" ") else "not an array" end')
	else
		got="HTTP $STATUS"
	fi
	if [ "$got" = "$want" ]; then
		ok 0 "$d"
	else
		ok 1 "$d"
		diag "got rows:      $(id_names "$got")" "expected rows: $(id_names "$want")"
		show_last
		return 1
	fi
}

# create RES JSON: POST one row, expecting 201. Sets ID and ROW; on failure diagnoses and
# returns 1 (not a test point: setup that later test points depend on).
create() {
	json POST "/api/$1" "$2"
	if [ "$STATUS" = 201 ] && [ -n "$(jqb '.id // empty')" ]; then
		ID=$(jqb .id) ROW=$BODY
		return 0
	fi
	ID= ROW=
	diag "setup failed: POST /api/$1"
	show_last
	return 1
}

# count_rows TABLE WHERE: number of rows of TABLE matching the SQL condition WHERE.
count_rows() { sql "select count(*) from $1 where $2" 2>&1; }

# branch_rows RES BRANCH: number of rows of RES's table in BRANCH.
branch_rows() { count_rows "$(table "$1")" "branch = '$2'"; }

# The parents the samples need, made once per branch.
declare -A PARENT_CLIENT=() PARENT_DISTRIBUTOR=()
parent_distributor() {
	local b=$1
	if [ -z "${PARENT_DISTRIBUTOR[$b]:-}" ]; then
		create distributors "{\"branch\":\"$b\",\"name\":\"Parent distributor\"}" &&
			PARENT_DISTRIBUTOR[$b]=$ID
	fi
	PARENT=${PARENT_DISTRIBUTOR[$b]:-00000000-0000-0000-0000-000000000000}
}
parent_client() {
	local b=$1
	if [ -z "${PARENT_CLIENT[$b]:-}" ]; then
		create clients "{\"branch\":\"$b\",\"name\":\"Parent client\"}" && PARENT_CLIENT[$b]=$ID
	fi
	PARENT=${PARENT_CLIENT[$b]:-00000000-0000-0000-0000-000000000000}
}

# sample RES BRANCH [OVERRIDES]: sets SAMPLE to a valid body for RES with every field set,
# merged with the JSON object OVERRIDES (a null there removes the field). Creates the parent
# client or distributor the row points to (once per branch). Call it outside $(...).
sample() {
	local res=$1 b=$2 over=${3:-'{}'} base
	case $res in
	distributors)
		base='{"name":"Sample distributor","code":"D-'"$(uniq_token)"'","region":"Western Cape",
			"contact_name":"Ann Smith","phone":"+27 21 555 0100","email":"ann@example.com",
			"address":"1 Main Road, Cape Town","status":"active","notes":"prefers email",
			"agreement_data":{"tier":"gold","discount_pct":5}}' ;;
	clients)
		parent_distributor "$b"
		base='{"name":"Sample client","distributor_id":"'"$PARENT"'","phone":"+27 21 555 0100",
			"email":"buyer@example.com","address":"2 Long Street","category":"retail",
			"status":"active","notes":"opens at nine"}' ;;
	appointments)
		parent_client "$b"
		base='{"client_id":"'"$PARENT"'","scheduled_at":"2026-12-01T09:30:00Z","duration_minutes":45,
			"assigned_to":"agent-ann","purpose":"Sample appointment","status":"scheduled",
			"notes":"bring samples"}' ;;
	stock-requests)
		parent_distributor "$b"
		base='{"distributor_id":"'"$PARENT"'","requested_by":"Sample requester",
			"items":[{"sku":"SKU-1","name":"Widget","quantity":3},{"sku":"SKU-2","name":"Gadget","quantity":1}],
			"needed_by":"2026-12-05","status":"pending","notes":"urgent"}' ;;
	visits)
		parent_client "$b"
		base='{"client_id":"'"$PARENT"'","visited_at":"2026-11-20T10:15:00Z","agent":"Sample agent",
			"latitude":-33.9249,"longitude":18.4241,"outcome":"order","notes":"met the owner"}' ;;
	campaigns)
		base='{"name":"Sample campaign","channel":"radio","starts_on":"2026-12-01",
			"ends_on":"2026-12-31","budget":1500.5,"status":"draft","details":{"target":"north"}}' ;;
	finance-cash-requests)
		base='{"requested_by":"carol","amount":125.5,"currency":"ZAR","purpose":"Sample purpose",
			"needed_by":"2026-12-03","status":"pending","approved_by":"dave"}' ;;
	leave-requests)
		base='{"employee":"Sample employee","leave_type":"annual","start_date":"2026-12-20",
			"end_date":"2026-12-24","status":"pending","reason":"holiday"}' ;;
	*) bail_out "sample: unknown resource $res" ;;
	esac
	SAMPLE=$(jq -cn --argjson base "$base" --argjson over "$over" --arg b "$b" \
		'$base + {branch: $b} + $over | with_entries(select(.value != null))')
}

# minimal RES BRANCH: sets SAMPLE to a body with only the required fields.
minimal() {
	local f keep='["branch"'
	for f in ${REQUIRED[$1]}; do keep="$keep,\"$f\""; done
	keep="$keep]"
	sample "$1" "$2"
	SAMPLE=$(jq -c --argjson k "$keep" 'with_entries(select(.key as $x | $k | index($x)))' <<<"$SAMPLE")
}

# Timestamp fields: compared as instants, not as text.
TS_FIELDS="scheduled_at visited_at created_at updated_at"

# epoch TS: seconds since the epoch, with fraction.
epoch() { date -d "$1" +%s.%N 2>/dev/null || echo "unparsable:$1"; }

# later A B: true if timestamp A is strictly after timestamp B.
later() {
	local a b
	a=$(epoch "$1") b=$(epoch "$2")
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a + 0 > b + 0 && a !~ /unp/ && b !~ /unp/) }'
}

# echo_diff SENT GOT: the fields of SENT whose value GOT does not echo (timestamps compared as
# instants, numbers as numbers); empty when all are echoed.
echo_diff() {
	local sent=$1 got=$2 k out=
	for k in $(jq -r --argjson g "$got" \
		'to_entries[] | select(.value != $g[.key]) | .key' <<<"$sent" 2>/dev/null || echo '(bad-json)'); do
		if [[ " $TS_FIELDS " == *" $k "* ]] &&
			[ "$(epoch "$(jq -r ".$k" <<<"$sent")")" = "$(epoch "$(jq -r ".$k // empty" <<<"$got")")" ]; then
			continue
		fi
		out="$out $k"
	done
	printf '%s\n' "${out# }"
}

# The time zone the server takes day boundaries in (config timezone, default UTC).
api_tz() {
	local tz=${FIELDSYNC_TIMEZONE:-} f
	if [ -z "$tz" ]; then
		for f in "$FIELDSYNC_TOP/var/fieldsync.conf" "$FIELDSYNC_TOP/conf/fieldsync.conf"; do
			[ -r "$f" ] || continue
			tz=$(sed -n 's/^[[:space:]]*timezone[[:space:]]*=[[:space:]]*\([^[:space:];#]*\).*/\1/p' "$f" | tail -n 1)
			[ -n "$tz" ] && break
		done
	fi
	printf '%s\n' "${tz:-UTC}"
}

# local_ts 'YYYY-MM-DD HH:MM:SS[.frac]': that wall-clock time in the server's time zone, as
# ISO 8601 with offset.
local_ts() { TZ=$(api_tz) date -d "$1" +%Y-%m-%dT%H:%M:%S.%N%:z | sed 's/\.\([0-9]\{6\}\)[0-9]*/.\1/'; }

# today_local: today's date in the server's time zone.
today_local() { TZ=$(api_tz) date +%F; }

# next_link: the target of the rel="next" Link of the last response, as a path (empty if none).
next_link() {
	header Link | tr ',' '\n' | sed -n 's/.*<\([^>]*\)>.*rel="\{0,1\}next"\{0,1\}.*/\1/p' |
		head -n 1 | sed 's|^https\{0,1\}://[^/]*||'
}
