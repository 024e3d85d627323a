#!/bin/bash
# Hostile and odd input, seen from curl: duplicate JSON keys, numbers checked from their text,
# money as decimal strings, repeated query parameters, long multibyte cursors, invalid UTF-8,
# errors in our words (never PostgreSQL's), and the headers of every answer under /api/ --
# the workers' and those nginx makes itself (404, 413, 400 bad chunked body, 405, 414).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
diag "branch $BR"

# refused_nothing DESCRIPTION WHERE: no clients row of this run's branches matches WHERE.
refused_nothing() {
	is "$(count_rows clients "branch like '$BR%' and ($2)")" 0 "$1"
}

# ---- duplicate keys in an object: 400, nothing stored
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"dup branch\",\"branch\":\"$BR-b\"}"
is_error 400 'malformed_json|invalid_type' "" 'POST {"branch":"a",...,"branch":"b"} is 400 malformed_json'
refused_nothing "the POST with a duplicate branch stored nothing" "name = 'dup branch'"
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"dup name 1\",\"name\":\"dup name 2\"}"
is_error 400 'malformed_json|invalid_type' "" "POST with name twice is 400 malformed_json"
refused_nothing "the POST with name twice stored nothing" "name like 'dup name%'"
json POST /api/clients "[{\"branch\":\"$BR\",\"name\":\"dup bulk ok\"},{\"branch\":\"$BR\",\"name\":\"dup bulk\",\"notes\":\"a\",\"notes\":\"b\"}]"
is_error 400 'malformed_json|invalid_type' "" "a bulk POST with a duplicate key in its second row is 400"
refused_nothing "none of that bulk was stored" "name like 'dup bulk%'"

sample clients "$BR" '{"name":"dup target"}'
create clients "$SAMPLE"
target=$ID other=$(uuid)
json PUT /api/clients "{\"id\":\"$target\",\"version\":1,\"id\":\"$other\",\"name\":\"dup id\"}"
is_error 400 'malformed_json|invalid_type' "" "PUT with id twice is 400 malformed_json"
json PUT /api/clients "{\"id\":\"$target\",\"version\":1,\"version\":2,\"name\":\"dup version\"}"
is_error 400 'malformed_json|invalid_type' "" "PUT with version twice is 400 malformed_json"
is "$(sql "select version || ' ' || name from clients where id = '$target'")" "1 dup target" \
	"the PUTs with duplicate id or version changed nothing"
refused_nothing "no row was made with the other id" "id = '$other'"

# ---- numbers are checked from their text, not from a rounded double
# fin AMOUNT-JSON LABEL: POST a cash request with that amount text, labelled LABEL.
fin() {
	sample finance-cash-requests "$BR" "{\"purpose\":\"$2\"}"
	# the amount goes in as text (jq would turn it into a double first)
	# shellcheck disable=SC2001
	json POST /api/finance-cash-requests "$(sed "s/\"amount\":[^,}]*/\"amount\":$1/" <<<"$SAMPLE")"
}
fin_rows() { count_rows finance_cash_requests "branch = '$BR' and purpose = '$1'"; }
fin 9999999999.989999999 "just over max"
is_error 422 invalid_value amount "amount 9999999999.989999999 is 422 invalid_value (not rounded to the max)"
is "$(fin_rows "just over max")" 0 "that amount was not stored"
fin 0.1000000000000000000001 "tiny tail"
is_error 422 invalid_value amount "amount 0.1000000000000000000001 (more than 2 decimals) is 422 invalid_value"
is "$(fin_rows "tiny tail")" 0 "that amount was not stored as 0.1"
fin 100000000000000000000000000000.5 "huge"
is_error 422 invalid_value amount "amount 1e29 written out is 422 invalid_value"
fin 0.001 "under a cent"
is_error 422 invalid_value amount "amount 0.001 is 422 invalid_value (more than 2 decimals, not 0)"
fin 9999999999.99 "exact max"
is_status 201 "amount 9999999999.99 (the max) is accepted"
is "$(sql "select amount::text from finance_cash_requests where branch = '$BR' and purpose = 'exact max'")" \
	9999999999.99 "it is stored exactly"

# ---- money accepts a decimal string
fin '"1500.50"' "money string"
is_status 201 'amount "1500.50" (a decimal string) is 201'
is_jq '.amount | type' number "the answer has amount as a number"
is_jq '.amount' 1500.5 "the answer has amount 1500.5"
is "$(sql "select amount from finance_cash_requests where branch = '$BR' and purpose = 'money string'")" \
	1500.50 "the database has 1500.50"
sample campaigns "$BR" '{"name":"money string budget","budget":"12.345"}'
json POST /api/campaigns "$SAMPLE"
is_error 422 invalid_value budget 'campaigns: budget "12.345" (three decimals) is 422 invalid_value'
fin '"abc"' "money abc"
is_error 400 invalid_type amount 'amount "abc" is 400 invalid_type'
fin '"1e3"' "money exponent"
is_error 400 invalid_type amount 'amount "1e3" is 400 invalid_type (a decimal string has no exponent)'
is "$(count_rows finance_cash_requests "branch = '$BR' and purpose in ('money abc', 'money exponent')")" 0 \
	"the refused amount strings stored nothing"

# ---- repeated query parameters are 400 invalid_parameter
for i in 1 2; do
	sample clients "$BR" "{\"name\":\"repeat $i\",\"status\":\"active\"}"
	create clients "$SAMPLE"
done
api GET "/api/clients?branch=$BR&limit=1"
cursor=$(next_link | sed -n 's/.*[?&]after=\([^&]*\).*/\1/p')
[ -n "$cursor" ] || diag "no cursor in the Link of a limit=1 list: $(header Link)"
api GET "/api/clients?branch=$BR&limit=1&limit=3"
is_error 400 invalid_parameter limit "limit=1&limit=3 is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&limit=1&after=$cursor&after=$cursor"
is_error 400 invalid_parameter after "after twice (a valid cursor) is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&status=active&status=prospect"
is_error 400 invalid_parameter status "status twice is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&branch=$BR"
is_error 400 invalid_parameter branch "branch twice, even the same value, is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&limit=%2B5"
is_error 400 invalid_parameter limit "limit=+5 is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&limit=%205"
is_error 400 invalid_parameter limit "limit=%205 (a leading space) is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&limit=5%20"
is_error 400 invalid_parameter limit "limit=5%20 (a trailing space) is 400 invalid_parameter"

# ---- a Link cursor is never refused by the server that made it
LB="$BR-long"
long=$(printf 'é%.0s' $(seq 500))   # 1000 bytes of UTF-8, the longest name
declare -A LONG_IDS=()
for i in 1 2 3; do
	json POST /api/clients "$(jq -cn --arg b "$LB" --arg n "$long" '{branch: $b, name: $n}')"
	if [ "$STATUS" = 201 ]; then LONG_IDS[$(jqb .id)]=0; else diag "setup: POST of a long name"; show_last; fi
done
is "${#LONG_IDS[@]}" 3 "three clients with 1000-byte UTF-8 names (500 x é) are created"
path="/api/clients?branch=$(enc "$LB")&limit=1"
pages=0 bad= links=0 seen= longest=0
while [ -n "$path" ] && [ "$pages" -lt 10 ]; do
	api GET "$path"
	pages=$((pages + 1))
	if [ "$STATUS" != 200 ]; then
		bad="page $pages: HTTP $STATUS ${BODY:0:200}"
		break
	fi
	seen="$seen $(jqb '.[].id')"
	path=$(next_link)
	if [ -n "$path" ]; then
		links=$((links + 1))
		[ "${#path}" -gt "$longest" ] && longest=${#path}
		[[ $path == /api/clients\?* ]] || { bad="page $pages: a Link that does not parse: $(header Link | cut -c1-200)"; break; }
	fi
done
ok "$([ -z "$bad" ]; echo $?)" "following the Links of long cursors, every page is 200" || diag "$bad"
ok "$([ "$links" -ge 2 ] && [ "$longest" -ge 3000 ]; echo $?)" \
	"the first two pages carry a long rel=\"next\" Link that parses ($links seen, longest $longest bytes)"
# shellcheck disable=SC2086  # $seen: a list of ids
is "$(ids_sorted $seen)" "$(ids_sorted "${!LONG_IDS[@]}")" "the walk saw each of the three rows once"
is "$path" "" "the last page has no rel=\"next\" Link (the walk took $pages pages)"

# ---- error bodies are always valid UTF-8 JSON
# utf8_answer DESCRIPTION: the last body is valid UTF-8 and parses as JSON (one test point).
utf8_answer() {
	local why=
	printf '%s' "$BODY" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 || why="not valid UTF-8"
	printf '%s' "$BODY" | jq -e . >/dev/null 2>&1 || why="${why:+$why; }not JSON"
	[ -n "$BODY" ] || why="empty body"
	if [ -z "$why" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "$why"
		show_last
	fi
}
bad_utf8=$'\xff\xfe'
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"a\",\"x$bad_utf8\":1}"
utf8_answer "invalid UTF-8 in a field name: the answer is valid UTF-8 JSON"
is_error 400 'malformed_json|invalid_type|unknown_field|invalid_value' "" "invalid UTF-8 in a field name is a 400"
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"bad $bad_utf8 name\"}"
utf8_answer "invalid UTF-8 in a field value: the answer is valid UTF-8 JSON"
is_error 400 'malformed_json|invalid_value|invalid_format' "" "invalid UTF-8 in a field value is a 400"
refused_nothing "the invalid UTF-8 name was not stored" "name like 'bad %'"
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"a\",\"status\":\"$(printf '\xc3%.0s' $(seq 300))\"}"
utf8_answer "300 cut-off UTF-8 sequences in an enum value: the answer is valid UTF-8 JSON"
api GET "/api/clients?branch=$BR&search=%FF%FE"
utf8_answer "invalid UTF-8 in a query value: the answer is valid UTF-8 JSON"
api GET "/api/clients?branch=$BR&st%FFtus=active"
utf8_answer "invalid UTF-8 in a query parameter name: the answer is valid UTF-8 JSON"
api GET "/api/clients?branch=$BR&limit=$(printf '%%C3%%A9%.0s' $(seq 400))"
utf8_answer "a long multibyte limit: the answer is valid UTF-8 JSON"
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"keyed\"}" -H "Idempotency-Key: key-$bad_utf8"
utf8_answer "invalid UTF-8 in an Idempotency-Key: the answer is valid UTF-8 JSON"
json POST /api/clients "$(jq -cn --arg b "$BR" --arg n "$(printf 'é%.0s' $(seq 2000))" '{branch: $b, name: $n}')"
is_error 422 invalid_value name "a 4000-byte multibyte name is 422 invalid_value (name)"
utf8_answer "its message (about a long multibyte value) is valid UTF-8 JSON"
json POST /api/clients "$(jq -cn --arg b "$BR" --arg n "$(printf 'ü€%.0s' $(seq 700))" '{branch: $b, name: "a"} + {($n): 1}')"
is_error 400 unknown_field "" "an unknown 3500-byte multibyte field name is 400 unknown_field"
utf8_answer "its message (naming a long multibyte field) is valid UTF-8 JSON"
json POST /api/clients "$(jq -cn --arg b "$BR" --arg s "$(printf '€%.0s' $(seq 1500))" '{branch: $b, name: "a", status: $s}')"
is_error 422 invalid_value status "a 4500-byte multibyte status is 422 invalid_value"
utf8_answer "its message (quoting a long multibyte value) is valid UTF-8 JSON"

# ---- errors name the field and the rule in our words, never PostgreSQL's
PG_WORDS='breaks the rule|out of range|SQLSTATE|_check|violates|constraint|syntax for type|date/time field|ERROR:'
# our_words RES OVERRIDES FIELD DESCRIPTION: POST a sample with OVERRIDES: 400 or 422, with
# .error.field FIELD and a message without PostgreSQL's words (one test point).
our_words() {
	local res=$1 field=$3 msg why=
	sample "$res" "$BR"
	json POST "/api/$res" "$(jq -c --argjson o "$2" '. + $o' <<<"$SAMPLE")"
	msg=$(jqb '.error.message // empty')
	[[ $STATUS =~ ^(400|422)$ ]] || why="HTTP $STATUS"
	[ "$(jqb '.error.field // empty')" = "$field" ] || why="${why:+$why; }error.field '$(jqb '.error.field // empty')', expected '$field'"
	[ -n "$msg" ] || why="${why:+$why; }no message"
	if [[ $msg =~ $PG_WORDS ]]; then why="${why:+$why; }PostgreSQL's words in the message"; fi
	if [ -z "$why" ]; then
		ok 0 "$res: $4 is refused naming $field, in our words"
	else
		ok 1 "$res: $4 is refused naming $field, in our words"
		diag "$why"
		show_last
	fi
}
our_words clients '{"branch":""}' branch 'an empty branch ""'
our_words appointments '{"scheduled_at":"2026-12-01T24:00:01Z"}' scheduled_at 'scheduled_at 24:00:01'
our_words appointments '{"scheduled_at":"2026-12-01T24:00:00Z"}' scheduled_at 'scheduled_at 24:00:00'
our_words appointments '{"scheduled_at":"0000-01-01T00:00:00Z"}' scheduled_at 'scheduled_at in year 0000'
our_words appointments '{"scheduled_at":"10000-01-01T00:00:00Z"}' scheduled_at 'scheduled_at in year 10000'
our_words appointments '{"scheduled_at":"2026-12-01T10:00:00+25:00"}' scheduled_at 'scheduled_at with offset +25:00'
our_words campaigns '{"starts_on":"0000-01-01"}' starts_on 'starts_on 0000-01-01'
our_words campaigns '{"starts_on":"10000-01-01"}' starts_on 'starts_on 10000-01-01'
our_words leave-requests '{"start_date":"2026-02-29"}' start_date 'start_date 2026-02-29 (not a leap year)'
our_words appointments '{"duration_minutes":99999999999}' duration_minutes 'duration_minutes 99999999999'
our_words visits '{"latitude":1e400}' latitude 'latitude 1e400'
api GET "/api/appointments?branch=$BR&date=10000-01-01"
ok "$([[ $STATUS == 400 && ! $(jqb '.error.message // empty') =~ $PG_WORDS ]]; echo $?)" \
	"appointments: date=10000-01-01 is 400, in our words" || show_last

# ---- every answer under /api/ is JSON with Cache-Control: no-store and nosniff
# api_headers DESCRIPTION: the last answer has Content-Type application/json; charset=utf-8,
# Cache-Control: no-store and X-Content-Type-Options: nosniff, each once (one test point).
api_headers() {
	local why= h
	[ "$(header Content-Type | tr '[:upper:]' '[:lower:]')" = "application/json; charset=utf-8" ] ||
		why="Content-Type '$(header Content-Type)'"
	[ "$(header Cache-Control)" = no-store ] || why="${why:+$why; }Cache-Control '$(header Cache-Control)'"
	[ "$(header X-Content-Type-Options)" = nosniff ] ||
		why="${why:+$why; }X-Content-Type-Options '$(header X-Content-Type-Options)'"
	for h in content-type cache-control x-content-type-options; do
		[ "$(printf '%s\n' "$HEADERS" | grep -ci "^$h:")" -le 1 ] || why="${why:+$why; }$h sent twice"
	done
	if [ -z "$why" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "$why" "headers: $(printf '%s' "$HEADERS" | tr '\n' '|' | cut -c1-400)"
	fi
}

# raw_http REQUEST: send REQUEST (the bytes, as is) over one TCP connection to the stack, read
# until it closes; sets STATUS, HEADERS (CRs removed) and BODY like api.
raw_http() {
	local hp=${FIELDSYNC_URL#*://} host port
	hp=${hp%%/*} host=${hp%:*} port=${hp##*:}
	[ "$host" = "$hp" ] && port=80
	LAST_REQ="raw: $(printf '%s' "$1" | head -c 200 | tr '\r\n' '  ')"
	timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1; printf "%s" "$3" >&3; cat <&3' \
		_ "$host" "$port" "$1" >"$tmp" 2>/dev/null
	STATUS=$(head -n 1 "$tmp" | awk '{ print $2 }')
	HEADERS=$(sed -n '1,/^\r\{0,1\}$/p' "$tmp" | tr -d '\r')
	BODY=$(sed '1,/^\r\{0,1\}$/d' "$tmp")
}

sample clients "$BR" '{"name":"headers"}'
json POST /api/clients "$SAMPLE"
is_status 201 "POST answers 201"
api_headers "a worker's 201 carries the API headers"
hid=$(jqb .id)
api GET "/api/clients?id=$hid"
is_status 200 "GET ?id= answers 200"
api_headers "a worker's 200 carries the API headers"
api GET "/api/clients?branch=$BR&limit=1"
api_headers "a worker's 200 list (with a Link) carries the API headers"
api HEAD "/api/clients?id=$hid" --head
api_headers "a worker's answer to HEAD carries the API headers"
api GET "/api/clients?id=$(uuid)"
is_error 404 not_found "" "GET of an unknown id is the worker's 404"
api_headers "a worker's 404 carries the API headers"
json POST /api/clients "{\"branch\":\"$BR\"}"
is_error 422 missing_field name "POST without name is the worker's 422"
api_headers "a worker's 422 carries the API headers"
api POST /api/clients -H 'Content-Type: text/plain' --data-binary x
api_headers "a worker's 415 carries the API headers"
api PATCH /api/clients
is_error 405 method_not_allowed "" "PATCH is the worker's 405"
api_headers "a worker's 405 carries the API headers"
api DELETE "/api/clients?id=$hid"
is_status 204 "DELETE answers 204"
api_headers "a worker's 204 carries the API headers"

api GET /api/no-such-resource
is_error 404 not_found "" "an unknown path under /api/ is nginx's JSON 404"
api_headers "nginx's 404 carries the API headers"
api GET /api/
is_error 404 not_found "" "GET /api/ itself is a JSON 404"
api_headers "the 404 of /api/ carries the API headers"

head -c 3000000 /dev/zero | tr '\0' ' ' >"$tmp.big"
api POST /api/clients -H 'Content-Type: application/json' --data-binary @"$tmp.big"
rm -f "$tmp.big"
is_error 413 payload_too_large "" "a 3 MB body is nginx's JSON 413"
api_headers "nginx's 413 carries the API headers"

raw_http $'POST /api/clients HTTP/1.1\r\nHost: fieldsync\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n'
is_error 400 'bad_request|malformed_json' "" "a broken chunk size (Transfer-Encoding: chunked) is a JSON 400"
api_headers "the 400 of a bad chunked body carries the API headers"
raw_http $'POST /api/clients HTTP/1.1\r\nHost: fieldsync\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"a":1}\r\n'
is_error 400 'bad_request|malformed_json' "" "a chunk longer than its size is a JSON 400"
api_headers "that 400 carries the API headers"
is "$(count_rows clients "branch like '$BR%' and name = 'chunked'")" 0 "the bad chunked bodies stored nothing"

api TRACE /api/clients
is_error 405 method_not_allowed "" "TRACE (refused by nginx before any location) is a JSON 405"
api_headers "nginx's 405 for TRACE carries the API headers"
like "$(header Allow)" 'GET' "nginx's 405 for TRACE carries Allow"

api GET "/api/clients?branch=$BR&x=$(head -c 40000 /dev/zero | tr '\0' a)"
is_error 414 uri_too_long "" "a 40 KB request line is a JSON 414"
api_headers "nginx's 414 carries the API headers"

raw_http $'GET /api/clients HTTP/1.1\r\nHost: fieldsync\r\nX-Big: '"$(head -c 40000 /dev/zero | tr '\0' a)"$'\r\nConnection: close\r\n\r\n'
is_error 400 'bad_request' "" "a 40 KB header line is a JSON 400"
api_headers "that 400 carries the API headers"

api POST /api/clients -H 'Transfer-Encoding: gzip' -H 'Content-Type: application/json' --data-binary x
is_error 501 'not_implemented' "" "an unknown Transfer-Encoding is a JSON 501"
api_headers "nginx's 501 carries the API headers"

api TRACE /
like "$(header Content-Type)" '^text/html' "outside /api/ nginx keeps its own 405 page for TRACE"

done_testing
