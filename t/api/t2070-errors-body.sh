#!/bin/bash
# Errors caused by the request body: each answers the README's status, code and field, as JSON,
# and writes nothing.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)

# refused METHOD RES BODY STATUS CODE FIELD DESCRIPTION: the request is answered with that
# error and the branch holds as many rows of RES as before (two test points).
refused() {
	local method=$1 res=$2 body=$3 st=$4 code=$5 field=$6 d=$7 before
	before=$(branch_rows "$res" "$BR")
	json "$method" "/api/$res" "$body"
	is_error "$st" "$code" "$field" "$d: $st $code${field:+ ($field)}"
	is "$(branch_rows "$res" "$BR")" "$before" "$d: nothing written"
}

# the parents the samples need, made before anything is counted
sample appointments "$BR"
sample stock-requests "$BR"
sample clients "$BR" '{"name":"ok client"}'
ok_client=$SAMPLE

# ---- malformed JSON
refused POST clients "{\"branch\":\"$BR\",\"name\":" 400 malformed_json "" "truncated JSON"
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\"} xyz" 400 malformed_json "" "trailing garbage"
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\"}{\"branch\":\"$BR\",\"name\":\"b\"}" 400 malformed_json "" "two objects"
refused POST clients "{'branch':'$BR','name':'a'}" 400 malformed_json "" "single quotes"
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\",}" 400 malformed_json "" "trailing comma"
refused POST clients "" 400 malformed_json "" "an empty body"
refused POST clients $'{"branch":"'"$BR"$'","name":"\xff\xfe"}' 400 '[a-z_]+' "" "invalid UTF-8 in a string"

# a NUL cannot be stored in a text column: refused, never silently cut
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\\u0000b\"}" '400|422' '[a-z_]+' "" "a string holding \\u0000"
refused POST clients "{\"branch\":\"$BR\",\"name\":\"lone \\ud800 surrogate\"}" 400 '[a-z_]+' "" "a lone surrogate \\ud800"

# ---- wrong JSON types
refused POST clients "{\"branch\":\"$BR\",\"name\":5}" 400 invalid_type name "name: 5"
refused POST clients "{\"branch\":\"$BR\",\"name\":[\"a\"]}" 400 invalid_type name "name: an array"
refused POST clients "{\"branch\":true,\"name\":\"a\"}" 400 invalid_type branch "branch: true"
refused POST clients '"a string"' 400 invalid_type "" "a string as body"
refused POST clients '42' 400 invalid_type "" "a number as body"
refused POST clients 'null' 400 invalid_type "" "null as body"
sample appointments "$BR" '{"duration_minutes":"30"}'
refused POST appointments "$SAMPLE" 400 invalid_type duration_minutes "appointments: duration_minutes \"30\""
sample finance-cash-requests "$BR" '{"amount":"12.50 USD"}'   # a decimal string is money (t2120), this is not
refused POST finance-cash-requests "$SAMPLE" 400 invalid_type amount "finance: amount \"12.50 USD\""
sample distributors "$BR" '{"agreement_data":"gold"}'
refused POST distributors "$SAMPLE" 400 'invalid_type|invalid_value' agreement_data "distributors: agreement_data a string"
sample campaigns "$BR" '{"details":[1,2]}'
refused POST campaigns "$SAMPLE" 400 'invalid_type|invalid_value' details "campaigns: details an array"
create clients "$ok_client"
cid=$ID
refused PUT clients "[{\"id\":\"$cid\",\"name\":\"x\"}]" 400 invalid_type "" "PUT of an array"
refused PUT clients "{\"id\":\"$cid\",\"name\":false}" 400 invalid_type name "PUT with name: false"

# ---- unknown fields
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\",\"colour\":\"red\"}" 400 unknown_field colour "an unknown field"
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\",\"Name\":\"b\"}" 400 unknown_field Name "a field in the wrong case"
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\",\"agreement_data\":{}}" 400 unknown_field agreement_data "another resource's field"
refused PUT clients "{\"id\":\"$cid\",\"colour\":\"red\"}" 400 unknown_field colour "PUT with an unknown field"

# ---- missing required fields
refused POST clients "{\"branch\":\"$BR\"}" 422 missing_field name "clients without name"
refused POST clients "{\"branch\":\"$BR\",\"name\":null}" 422 missing_field name "clients with name null"
refused POST clients '{"name":"no branch"}' 422 missing_field branch "clients without branch"
refused PUT clients "{\"id\":\"$cid\",\"name\":null}" 422 missing_field name "PUT setting name to null"
refused POST clients '{}' 422 missing_field '' "an empty object"

# ---- values outside their set or range
refused POST clients "{\"branch\":\"$BR\",\"name\":\"a\",\"status\":\"vip\"}" 422 invalid_value status "clients: status vip"
refused PUT clients "{\"id\":\"$cid\",\"status\":\"vip\"}" 422 invalid_value status "PUT clients: status vip"
is "$(sql "select version || ' ' || status from clients where id = '$cid'")" "1 active" "the refused PUTs left the row alone"
sample campaigns "$BR" '{"starts_on":"2026-05-10","ends_on":"2026-05-09"}'
refused POST campaigns "$SAMPLE" 422 invalid_value ends_on "campaigns: ends_on before starts_on"
sample leave-requests "$BR" '{"start_date":"2026-05-10","end_date":"2026-05-09"}'
refused POST leave-requests "$SAMPLE" 422 invalid_value end_date "leave: end_date before start_date"
sample finance-cash-requests "$BR" '{"amount":-5}'
refused POST finance-cash-requests "$SAMPLE" 422 invalid_value amount "finance: amount -5"
sample finance-cash-requests "$BR" '{"amount":0}'
refused POST finance-cash-requests "$SAMPLE" 422 invalid_value amount "finance: amount 0"
sample visits "$BR" '{"latitude":91}'
refused POST visits "$SAMPLE" 422 invalid_value latitude "visits: latitude 91"
sample stock-requests "$BR" '{"items":[]}'
refused POST stock-requests "$SAMPLE" 422 invalid_value items "stock: items []"
sample stock-requests "$BR" '{"items":[{"sku":"S","name":"N","quantity":0}]}'
refused POST stock-requests "$SAMPLE" 422 invalid_value items "stock: quantity 0"

# ---- uuids, dates and timestamps that do not parse
sample appointments "$BR" '{"client_id":"not-a-uuid"}'
refused POST appointments "$SAMPLE" 400 invalid_format client_id "appointments: client_id not-a-uuid"
sample appointments "$BR" '{"scheduled_at":"next tuesday"}'
refused POST appointments "$SAMPLE" 400 invalid_format scheduled_at "appointments: scheduled_at next tuesday"
sample appointments "$BR" '{"scheduled_at":"2026-02-30T10:00:00Z"}'
refused POST appointments "$SAMPLE" 400 invalid_format scheduled_at "appointments: scheduled_at on 30 February"
sample campaigns "$BR" '{"starts_on":"2026-13-01"}'
refused POST campaigns "$SAMPLE" 400 invalid_format starts_on "campaigns: starts_on 2026-13-01"
sample leave-requests "$BR" '{"start_date":"01/05/2026"}'
refused POST leave-requests "$SAMPLE" 400 invalid_format start_date "leave: start_date 01/05/2026"
refused POST clients "{\"id\":\"123\",\"branch\":\"$BR\",\"name\":\"a\"}" 400 invalid_format id "clients: id 123"

# ---- references and uniqueness
sample appointments "$BR" "{\"client_id\":\"$(uuid)\"}"
refused POST appointments "$SAMPLE" 422 unknown_reference client_id "appointments: a client_id that does not exist"
code="DUP-$(uniq_token)"
sample distributors "$BR" "{\"code\":\"$code\"}"
create distributors "$SAMPLE"
sample distributors "$BR" "{\"code\":\"$code\",\"name\":\"second\"}"
refused POST distributors "$SAMPLE" 409 duplicate_value code "distributors: a code already taken"

# ---- DELETE of a referenced row
sample clients "$BR" '{"name":"has an appointment"}'
create clients "$SAMPLE"
busy=$ID
sample appointments "$BR" "{\"client_id\":\"$busy\"}"
create appointments "$SAMPLE"
api DELETE "/api/clients?id=$busy"
is_error 409 referenced "" "DELETE of a client with an appointment is 409 referenced"
is "$(count_rows clients "id = '$busy'")" 1 "the client is still there"

# every other reference blocks a DELETE too
sample distributors "$BR" '{"code":null,"name":"has a client"}'
create distributors "$SAMPLE"
dist=$ID
sample clients "$BR" "{\"name\":\"points at a distributor\",\"distributor_id\":\"$dist\"}"
create clients "$SAMPLE"
api DELETE "/api/distributors?id=$dist"
is_error 409 referenced "" "DELETE of a distributor a client points at is 409 referenced"
sample distributors "$BR" '{"code":null,"name":"has a stock request"}'
create distributors "$SAMPLE"
dist2=$ID
sample stock-requests "$BR" "{\"distributor_id\":\"$dist2\"}"
create stock-requests "$SAMPLE"
api DELETE "/api/distributors?id=$dist2"
is_error 409 referenced "" "DELETE of a distributor a stock request points at is 409 referenced"
sample clients "$BR" '{"name":"has a visit"}'
create clients "$SAMPLE"
visited=$ID
sample visits "$BR" "{\"client_id\":\"$visited\"}"
create visits "$SAMPLE"
api DELETE "/api/clients?id=$visited"
is_error 409 referenced "" "DELETE of a client with a visit is 409 referenced"
is "$(count_rows distributors "id in ('$dist', '$dist2')")/$(count_rows clients "id = '$visited'")" "2/1" \
	"the referenced rows are all still there"

done_testing
