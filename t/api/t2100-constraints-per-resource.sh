#!/bin/bash
# Every resource's rules: required fields, defaults, value sets, ranges (and their boundaries,
# which must pass), cross-field checks, references and uniqueness, on POST and PUT.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
declare -A WRITTEN=()   # rows each resource should have in the branch at the end

# bad RES OVERRIDES STATUS CODE FIELD DESCRIPTION: a sample with OVERRIDES (applied with jq's +,
# so a null stays a null) is refused with that error.
bad() {
	local res=$1 over=$2
	sample "$res" "$BR"
	json POST "/api/$res" "$(jq -c --argjson o "$over" '. + $o' <<<"$SAMPLE")"
	is_error "$3" "$4" "$5" "$res: $6 is $3 $4${5:+ ($5)}"
}

# good RES OVERRIDES DESCRIPTION: a sample with OVERRIDES is accepted and echoes them.
good() {
	local res=$1 over=$2 sent
	sample "$res" "$BR"
	sent=$(jq -c --argjson o "$over" '. + $o' <<<"$SAMPLE")
	json POST "/api/$res" "$sent"
	if [ "$STATUS" = 201 ]; then
		WRITTEN[$res]=$((${WRITTEN[$res]:-0} + 1))
		is "$(echo_diff "$over" "$BODY")" "" "$res: $3 is accepted"
	else
		is_status 201 "$res: $3 is accepted"
	fi
}

# bad_put RES ID JSON STATUS CODE FIELD DESCRIPTION: a PUT of JSON (id added) is refused and the
# row keeps its version.
bad_put() {
	local res=$1 id=$2 v
	v=$(sql "select version from $(table "$res") where id = '$id'")
	json PUT "/api/$res" "$(jq -c --arg id "$id" '. + {id: $id}' <<<"$3")"
	is_error "$4" "$5" "$6" "$res: PUT $7 is $4 $5${6:+ ($6)}"
	is "$(sql "select version from $(table "$res") where id = '$id'")" "$v" "$res: PUT $7 changed nothing"
}

# keep RES: create a sample row (counted), set ID.
keep() {
	local over=${2:-'{}'}
	sample "$1" "$BR" "$over"
	create "$1" "$SAMPLE" && WRITTEN[$1]=$((${WRITTEN[$1]:-0} + 1))
}

for res in $RESOURCES; do
	sample "$res" "$BR"   # parents first, they are not counted
done
parent_client "$BR"   # made here so the counts below leave it out
parent_distributor "$BR"
distributor=$PARENT
before_d=$(branch_rows distributors "$BR")
before_c=$(branch_rows clients "$BR")

# ---- required fields, and the defaults of a minimal row
for res in $RESOURCES; do
	for f in branch ${REQUIRED[$res]}; do
		bad "$res" "{\"$f\":null}" 422 missing_field "$f" "$f null"
		sample "$res" "$BR"
		json POST "/api/$res" "$(jq -c --arg f "$f" 'del(.[$f])' <<<"$SAMPLE")"
		is_error 422 missing_field "$f" "$res: no $f is 422 missing_field ($f)"
	done
	minimal "$res" "$BR"
	json POST "/api/$res" "$SAMPLE"
	is_status 201 "$res: a row with only the required fields is accepted" &&
		WRITTEN[$res]=$((${WRITTEN[$res]:-0} + 1))
	case $res in
	distributors) is_jq .status active "distributors: status defaults to active" ;;
	clients) is_jq .status prospect "clients: status defaults to prospect" ;;
	appointments) is_jq .duration_minutes 30 "appointments: duration_minutes defaults to 30" ;;
	finance-cash-requests) is_jq .currency USD "finance-cash-requests: currency defaults to USD" ;;
	esac
done

# ---- an empty branch, and e-mail addresses
for res in $RESOURCES; do
	bad "$res" '{"branch":""}' 422 invalid_value branch "an empty branch"
done
for res in distributors clients; do
	good "$res" '{"email":"first.last+tag@example.co.za"}' "a plain e-mail address"
	bad "$res" '{"email":"not an email"}' 422 invalid_value email "email \"not an email\""
	bad "$res" '{"email":"a@b@c"}' 422 invalid_value email "email a@b@c"
done

# ---- status sets (and the other enumerations)
for res in $RESOURCES; do
	for s in ${STATUSES[$res]}; do
		good "$res" "{\"status\":\"$s\"}" "status $s"
	done
	[ -n "${STATUSES[$res]}" ] || continue
	bad "$res" '{"status":"bogus"}' 422 invalid_value status "status bogus"
	bad "$res" '{"status":"ACTIVE"}' 422 invalid_value status "status in capitals"
	bad "$res" '{"status":""}' 422 invalid_value status "an empty status"
done
for t in annual sick unpaid other; do good leave-requests "{\"leave_type\":\"$t\"}" "leave_type $t"; done
bad leave-requests '{"leave_type":"gardening"}' 422 invalid_value leave_type "leave_type gardening"
for o in order follow_up no_interest closed; do good visits "{\"outcome\":\"$o\"}" "outcome $o"; done
good visits '{"outcome":null}' "outcome null"
bad visits '{"outcome":"maybe"}' 422 invalid_value outcome "outcome maybe"

# ---- distributors: unique code
code="U-$(uniq_token)"
good distributors "{\"code\":\"$code\"}" "a new code"
bad distributors "{\"code\":\"$code\"}" 409 duplicate_value code "the same code again"
json POST /api/distributors "{\"branch\":\"$BR-elsewhere\",\"name\":\"x\",\"code\":\"$code\"}"
is_error 409 duplicate_value code "distributors: the same code in another branch is 409 duplicate_value (code)"
good distributors '{"code":null}' "a first row without code"
good distributors '{"code":null}' "a second row without code"
keep distributors
bad_put distributors "$ID" "{\"code\":\"$code\"}" 409 duplicate_value code "to a code already taken"
bad distributors '{"agreement_data":[1]}' '400|422' 'invalid_type|invalid_value' agreement_data "agreement_data an array"
good distributors '{"agreement_data":{"nested":{"a":[1,2,{"b":null}]},"n":1.5}}' "nested agreement_data"

# concurrent creates of one code: one wins, the others are 409 duplicate_value
code="R-$(uniq_token)"
dir=$(mktemp -d)
for i in 1 2 3 4 5; do
	curl -s -o "$dir/$i.body" -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' --max-time 10 \
		-H "$(auth_header)" --data-binary "{\"branch\":\"$BR\",\"name\":\"race $i\",\"code\":\"$code\"}" \
		"$FIELDSYNC_URL/api/distributors" >"$dir/$i.code" &
done
wait
is "$(cat "$dir"/*.code | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')" "201 x1 409 x4 " \
	"distributors: 5 concurrent creates of one code: one 201, four 409"
is "$(cat "$dir"/*.body | jq -r '.error.code // empty' | sort -u)" duplicate_value "distributors: the 409s are duplicate_value"
rm -rf "$dir"
WRITTEN[distributors]=$((${WRITTEN[distributors]:-0} + $(count_rows distributors "code = '$code'")))

# ---- clients: distributor reference
good clients "{\"distributor_id\":\"$distributor\"}" "an existing distributor_id"
good clients '{"distributor_id":null}' "distributor_id null"
bad clients "{\"distributor_id\":\"$(uuid)\"}" 422 unknown_reference distributor_id "an unknown distributor_id"
bad clients '{"distributor_id":"x"}' 400 invalid_format distributor_id "distributor_id x"
keep clients
bad_put clients "$ID" "{\"distributor_id\":\"$(uuid)\"}" 422 unknown_reference distributor_id "an unknown distributor_id"

# ---- appointments: duration 1..1440, client reference, timestamp
good appointments '{"duration_minutes":1}' "duration_minutes 1"
good appointments '{"duration_minutes":1440}' "duration_minutes 1440"
bad appointments '{"duration_minutes":0}' 422 invalid_value duration_minutes "duration_minutes 0"
bad appointments '{"duration_minutes":1441}' 422 invalid_value duration_minutes "duration_minutes 1441"
bad appointments '{"duration_minutes":-30}' 422 invalid_value duration_minutes "duration_minutes -30"
bad appointments '{"duration_minutes":30.5}' '400|422' 'invalid_type|invalid_value' duration_minutes "duration_minutes 30.5"
bad appointments "{\"client_id\":\"$(uuid)\"}" 422 unknown_reference client_id "an unknown client_id"
bad appointments '{"client_id":"x"}' 400 invalid_format client_id "client_id x"
bad appointments '{"scheduled_at":"2026-12-01 25:00"}' 400 invalid_format scheduled_at "scheduled_at at 25:00"
good appointments '{"scheduled_at":"2026-12-01T09:30:00+02:00"}' "scheduled_at with an offset"
keep appointments
bad_put appointments "$ID" '{"duration_minutes":0}' 422 invalid_value duration_minutes "duration_minutes 0"
bad_put appointments "$ID" "{\"client_id\":\"$(uuid)\"}" 422 unknown_reference client_id "an unknown client_id"

# ---- stock-requests: items, distributor reference, needed_by
good stock-requests '{"items":[{"sku":"A","name":"One","quantity":1}]}' "one item of quantity 1"
good stock-requests '{"distributor_id":null}' "no distributor"
bad stock-requests '{"items":[]}' 422 invalid_value items "items []"
bad stock-requests '{"items":[{"sku":"A","name":"One","quantity":0}]}' 422 invalid_value items "quantity 0"
bad stock-requests '{"items":[{"sku":"A","name":"One","quantity":-2}]}' 422 invalid_value items "quantity -2"
bad stock-requests '{"items":[{"sku":"A","name":"One","quantity":2},{"sku":"B","name":"Two","quantity":0}]}' 422 invalid_value items "a second item of quantity 0"
bad stock-requests '{"items":[{"name":"One","quantity":1}]}' 422 invalid_value items "an item without sku"
bad stock-requests '{"items":[{"sku":"A","quantity":1}]}' 422 invalid_value items "an item without name"
bad stock-requests '{"items":[{"sku":"A","name":"One"}]}' 422 invalid_value items "an item without quantity"
bad stock-requests '{"items":[{"sku":"A","name":"One","quantity":"3"}]}' '400|422' 'invalid_type|invalid_value' items "quantity \"3\""
bad stock-requests '{"items":["A"]}' 422 invalid_value items "an item that is a string"
bad stock-requests '{"items":{"sku":"A","name":"One","quantity":1}}' '400|422' 'invalid_type|invalid_value' items "items an object"
bad stock-requests "{\"distributor_id\":\"$(uuid)\"}" 422 unknown_reference distributor_id "an unknown distributor_id"
bad stock-requests '{"needed_by":"2026-02-29"}' 400 invalid_format needed_by "needed_by 2026-02-29"
keep stock-requests
bad_put stock-requests "$ID" '{"items":[]}' 422 invalid_value items "items []"

# ---- visits: latitude -90..90, longitude -180..180
for v in 90 -90 0; do good visits "{\"latitude\":$v}" "latitude $v"; done
for v in 180 -180; do good visits "{\"longitude\":$v}" "longitude $v"; done
good visits '{"latitude":null,"longitude":null}' "no position"
bad visits '{"latitude":91}' 422 invalid_value latitude "latitude 91"
bad visits '{"latitude":-90.5}' 422 invalid_value latitude "latitude -90.5"
bad visits '{"longitude":181}' 422 invalid_value longitude "longitude 181"
bad visits '{"longitude":-180.01}' 422 invalid_value longitude "longitude -180.01"
bad visits '{"latitude":"north"}' 400 invalid_type latitude "latitude \"north\""
bad visits "{\"client_id\":\"$(uuid)\"}" 422 unknown_reference client_id "an unknown client_id"
bad visits '{"visited_at":"yesterday"}' 400 invalid_format visited_at "visited_at yesterday"
keep visits
bad_put visits "$ID" '{"longitude":200}' 422 invalid_value longitude "longitude 200"

# ---- campaigns: ends_on >= starts_on, budget >= 0
good campaigns '{"starts_on":"2026-06-01","ends_on":"2026-06-01"}' "ends_on equal to starts_on"
good campaigns '{"ends_on":null}' "no ends_on"
good campaigns '{"budget":0}' "budget 0"
bad campaigns '{"starts_on":"2026-06-02","ends_on":"2026-06-01"}' 422 invalid_value ends_on "ends_on a day before starts_on"
bad campaigns '{"budget":-0.01}' 422 invalid_value budget "budget -0.01"
bad campaigns '{"starts_on":"2026-06-31"}' 400 invalid_format starts_on "starts_on 2026-06-31"
keep campaigns '{"starts_on":"2026-06-10","ends_on":"2026-06-20"}'
bad_put campaigns "$ID" '{"ends_on":"2026-06-09"}' 422 invalid_value ends_on "ends_on before the stored starts_on"
bad_put campaigns "$ID" '{"starts_on":"2026-06-21"}' 422 invalid_value ends_on "starts_on after the stored ends_on"

# ---- finance-cash-requests: amount > 0 with 2 decimals, currency
good finance-cash-requests '{"amount":0.01}' "amount 0.01"
good finance-cash-requests '{"amount":9999999999.99}' "amount 9999999999.99"
good finance-cash-requests '{"currency":"EUR"}' "currency EUR"
bad finance-cash-requests '{"amount":0}' 422 invalid_value amount "amount 0"
bad finance-cash-requests '{"amount":-0.01}' 422 invalid_value amount "amount -0.01"
bad finance-cash-requests '{"currency":"usd"}' 422 invalid_value currency "currency usd"
bad finance-cash-requests '{"currency":"US"}' 422 invalid_value currency "currency US"
bad finance-cash-requests '{"currency":"USDX"}' 422 invalid_value currency "currency USDX"
bad finance-cash-requests '{"needed_by":"soon"}' 400 invalid_format needed_by "needed_by soon"
bad finance-cash-requests '{"amount":12.345}' 422 invalid_value amount "amount 12.345 (more than 2 decimals, not rounded silently)"
good finance-cash-requests '{"amount":12.3}' "amount 12.3"
keep finance-cash-requests
bad_put finance-cash-requests "$ID" '{"amount":0}' 422 invalid_value amount "amount 0"
bad_put finance-cash-requests "$ID" '{"purpose":null}' 422 missing_field purpose "purpose null"

# ---- leave-requests: end_date >= start_date
good leave-requests '{"start_date":"2026-07-01","end_date":"2026-07-01"}' "a one-day leave"
bad leave-requests '{"start_date":"2026-07-02","end_date":"2026-07-01"}' 422 invalid_value end_date "end_date a day before start_date"
bad leave-requests '{"end_date":"2026-07-32"}' 400 invalid_format end_date "end_date 2026-07-32"
keep leave-requests '{"start_date":"2026-07-10","end_date":"2026-07-20"}'
bad_put leave-requests "$ID" '{"end_date":"2026-07-09"}' 422 invalid_value end_date "end_date before the stored start_date"
bad_put leave-requests "$ID" '{"start_date":"2026-07-21"}' 422 invalid_value end_date "start_date after the stored end_date"

# ---- nothing refused was written
WRITTEN[distributors]=$((${WRITTEN[distributors]:-0} + before_d))
WRITTEN[clients]=$((${WRITTEN[clients]:-0} + before_c))
for res in $RESOURCES; do
	is "$(branch_rows "$res" "$BR")" "${WRITTEN[$res]:-0}" "$res: the branch holds exactly the accepted rows"
done
is "$(count_rows distributors "branch = '$BR-elsewhere'")" 0 "distributors: the refused duplicate wrote nothing elsewhere"

done_testing
