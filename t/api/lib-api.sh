# shellcheck shell=bash
# shellcheck disable=SC2034  # the tables are read by the files that source this one
# Helpers shared by the t/api tests; source after t/lib/tap.sh.
#
# Every helper works on the globals the tap.sh helpers set (STATUS, BODY, HEADERS) and adds:
# LAST_REQ (the last request, for diagnostics), ID/ROW (the last row created) and SAMPLE (a body).

# The resource table, built when this file is sourced from the declarations themselves:
# `<name>.fcgi --describe` of every built binary of kind "resource" (see the README). Nothing
# about a resource is written down here.
#   RESOURCES        the paths, space-separated (the order of cgi-bin/*.fcgi)
#   DESCRIBE[res]    its --describe JSON (compact)
#   TABLE[res]       its SQL table
#   LABEL_FIELD[res] the text column the tests tell its rows apart by ("label")
#   REQUIRED[res]    the required fields besides branch, in declaration order
#   SORT_KEY[res], SORT_DIR[res]   the list's sort key and direction (asc|desc)
#   STATUSES[res]    the values of its "status" enum (empty without one)
#   UPD_FIELD[res], UPD_VALUE[res] a field a partial PUT changes and the JSON value it is
#                    changed to: the first optional enum column, to a value other than its
#                    example; else the first optional free text column, to a new text
#   REFS[res]        its reference columns, "column:path ..." (sample makes a parent for each)
#   TS_FIELDS        every timestamp column of any resource (compared as instants)
FIELDSYNC_CGI_BIN=${FIELDSYNC_CGI_BIN:-$FIELDSYNC_TOP/cgi-bin}
RESOURCES=
declare -A DESCRIBE=() TABLE=() LABEL_FIELD=() REQUIRED=() SORT_KEY=() SORT_DIR=() STATUSES=() \
	UPD_FIELD=() UPD_VALUE=() REFS=()
TS_FIELDS="created_at updated_at"

# load_declarations: fill the tables above; bails out when a binary cannot describe itself.
load_declarations() {
	local bin d res row f
	local -a v
	for bin in "$FIELDSYNC_CGI_BIN"/*.fcgi; do
		[ -x "$bin" ] || continue
		d=$("$bin" --describe 2>/dev/null | jq -c . 2>/dev/null) || d=
		[ -n "$d" ] || bail_out "$bin --describe gives no JSON (build the current tree: make)"
		[ "$(jq -r .kind <<<"$d")" = resource ] || continue
		row=$(jq -r '
			[.columns[] | select((.common | not) and (.readonly | not))] as $dom
			| ([$dom[] | select(.type == "enum" and (.required | not))
				| select(.example as $x | [.values[] | select(. != $x)] | length > 0)][0]) as $e
			| ([$dom[] | select(.type == "text" and (.required | not) and (.unique | not)
				and (.rule | not) and (.references | not) and ((.max_length // 1000) >= 40))][0]) as $t
			| (if $e then {f: $e.name, v: ([$e.values[] | select(. != $e.example)][0])}
			   elif $t then {f: $t.name, v: "changed on PUT"} else {f: "", v: null} end) as $u
			| [.path, .table, .label, ([$dom[] | select(.required) | .name] | join(" ")),
			   .sort, (if .sort_desc then "desc" else "asc" end),
			   ([.columns[] | select(.name == "status" and .type == "enum") | .values[]] | join(" ")),
			   $u.f, ($u.v | tojson),
			   ([$dom[] | select(.references) | "\(.name):\(.references)"] | join(" ")),
			   ([.columns[] | select(.type == "timestamp") | .name] | join(" "))]
			| join("\u001f")' <<<"$d")
		IFS=$'\x1f' read -r -a v <<<"$row"
		res=${v[0]}
		if [ -z "$res" ] || [ -z "${v[2]}" ]; then bail_out "$bin --describe: no path or label"; fi
		RESOURCES="${RESOURCES:+$RESOURCES }$res"
		DESCRIBE[$res]=$d TABLE[$res]=${v[1]} LABEL_FIELD[$res]=${v[2]} REQUIRED[$res]=${v[3]}
		SORT_KEY[$res]=${v[4]} SORT_DIR[$res]=${v[5]} STATUSES[$res]=${v[6]}
		UPD_FIELD[$res]=${v[7]} UPD_VALUE[$res]=${v[8]} REFS[$res]=${v[9]}
		for f in ${v[10]}; do
			[[ " $TS_FIELDS " == *" $f "* ]] || TS_FIELDS="$TS_FIELDS $f"
		done
	done
	[ -n "$RESOURCES" ] || bail_out "no resource binary in $FIELDSYNC_CGI_BIN (build first: make)"
}
load_declarations

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
table() { printf '%s\n' "${TABLE[$1]:-${1//-/_}}"; }

# new_branch and uniq_token (letters only, collision-free): t/lib/common.sh.

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

# The parents the samples need, made once per referenced resource and branch.
declare -A PARENT_OF=()

# parent RES BRANCH: sets PARENT to the id of a row of RES in BRANCH (a minimal row labelled
# "Parent <noun>", made on first use; the nil uuid when that failed). Clobbers ID, ROW, SAMPLE.
parent() {
	local res=$1 b=$2 over
	if [ -z "${PARENT_OF[$res/$b]:-}" ]; then
		[ -n "${DESCRIBE[$res]:-}" ] || bail_out "parent: no resource $res"
		over=$(jq -c '{(.label): "Parent \(.noun)"}' <<<"${DESCRIBE[$res]}")
		minimal "$res" "$b" "$over"
		create "$res" "$SAMPLE" && PARENT_OF[$res/$b]=$ID
	fi
	PARENT=${PARENT_OF[$res/$b]:-00000000-0000-0000-0000-000000000000}
}
parent_client() { parent clients "$1"; }
parent_distributor() { parent distributors "$1"; }

# sample RES BRANCH [OVERRIDES]: sets SAMPLE to a valid body for RES with every field set (each
# column's declared example; a fresh uniq_token appended to unique text columns; for a reference
# column the id of a parent row, see parent), merged with the JSON object OVERRIDES (a null
# there removes the field). Call it outside $(...): the parents are remembered.
sample() { sample_of "$1" "$2" "${3:-}" all; }

# minimal RES BRANCH [OVERRIDES]: like sample, with only the required fields (and OVERRIDES).
minimal() { sample_of "$1" "$2" "${3:-}" required; }

# sample_of RES BRANCH OVERRIDES all|required: the body of sample or minimal.
sample_of() {
	local res=$1 b=$2 over=${3:-'{}'} which=$4 ref refs='{}' col
	[ -n "${DESCRIBE[$res]:-}" ] || bail_out "sample: unknown resource $res"
	for ref in ${REFS[$res]}; do
		col=${ref%%:*}
		[ "$which" = required ] && [[ " ${REQUIRED[$res]} " != *" $col "* ]] && continue
		parent "${ref#*:}" "$b"
		refs=$(jq -c --arg c "$col" --arg id "$PARENT" '. + {($c): $id}' <<<"$refs")
	done
	SAMPLE=$(jq -c --argjson over "$over" --argjson refs "$refs" --arg b "$b" \
		--arg tok "$(uniq_token)" --arg which "$which" '
		[.columns[] | select((.common | not) and (.readonly | not))
			| select($which == "all" or .required)
			| {key: .name, value: (if .references then $refs[.name]
				elif .unique and .type == "text" then "\(.example // "")\($tok)"
				else .example end)}]
		| from_entries + {branch: $b} + $over | with_entries(select(.value != null))' \
		<<<"${DESCRIBE[$res]}")
}

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
