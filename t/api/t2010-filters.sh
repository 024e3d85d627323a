#!/bin/bash
# Every list filter the README names, on matching and non-matching rows, for every resource.
# shellcheck disable=SC2154  # mk assigns the row variables by name
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
B2="$BR-other"
T=$(uniq_token)          # lowercase, unique to this run
TU=${T^^}                # the same token in capitals
TM=${T:0:3}${TU:3}       # mixed case
MID=${T:2:6}             # a substring from the middle
N="9$(uniq_digits 9)"     # digits only, for phone search (no token has any)
TZNAME=$(api_tz)
TODAY=$(today_local)
diag "branch $BR, token $T, time zone $TZNAME"

# mk RES NAME OVERRIDES [BRANCH]: create a sample row named NAME (for diagnostics); sets the
# variable NAME to its id.
mk() {
	local res=$1 var=$2 over=$3 b=${4:-$BR}
	sample "$res" "$b" "$over"
	if create "$res" "$SAMPLE"; then
		printf -v "$var" '%s' "$ID"
		name_id "$ID" "$var"
	else
		printf -v "$var" '%s' "00000000-0000-0000-0000-000000000000"
	fi
}

# bad_status_filter RES: a status outside the set is a 400.
bad_status_filter() {
	api GET "/api/$1?branch=$BR&status=bogus"
	is_error 400 'invalid_parameter|invalid_value|invalid_format' "" "$1: status=bogus is a 400"
}

# bad_date_filter RES: dates that do not parse are 400 invalid_format.
bad_date_filter() {
	api GET "/api/$1?branch=$BR&date=2026-02-30"
	is_error 400 invalid_format "" "$1: date=2026-02-30 is 400 invalid_format"
	api GET "/api/$1?branch=$BR&date=10%2F03%2F2026"
	is_error 400 invalid_format "" "$1: date=10/03/2026 is 400 invalid_format"
}

# ---- distributors: status, search (name, code, contact_name, region), branch
mk distributors d1 "{\"name\":\"Alpha $TU Stores\",\"code\":null,\"status\":\"active\"}"
mk distributors d2 "{\"name\":\"Beta\",\"code\":\"$TU-C\",\"status\":\"suspended\"}"
mk distributors d3 "{\"name\":\"Gamma\",\"code\":null,\"contact_name\":\"Mr $TM\",\"status\":\"terminated\"}"
mk distributors d4 "{\"name\":\"Delta\",\"code\":null,\"region\":\"Region$TU\",\"status\":\"active\"}"
mk distributors d5 "{\"name\":\"Epsilon\",\"code\":null,\"email\":\"$T@example.com\",\"notes\":\"$T\",\"address\":\"$T\",\"status\":\"active\"}"
mk distributors d6 "{\"name\":\"Zeta $T\",\"code\":null}" "$B2"

list_is distributors "branch=$BR" "distributors: branch= lists exactly that branch" "$d1" "$d2" "$d3" "$d4" "$d5"
list_is distributors "branch=$(enc "$B2")" "distributors: the other branch lists its own row" "$d6"
list_is distributors "branch=$BR&status=active" "distributors: status=active" "$d1" "$d4" "$d5"
list_is distributors "branch=$BR&status=suspended" "distributors: status=suspended" "$d2"
list_is distributors "branch=$BR&status=terminated" "distributors: status=terminated" "$d3"
list_is distributors "branch=$BR&search=$T" \
	"distributors: search matches name, code, contact_name and region, not email/notes/address" \
	"$d1" "$d2" "$d3" "$d4"
list_is distributors "branch=$BR&search=$TU" "distributors: search is case-insensitive" "$d1" "$d2" "$d3" "$d4"
list_is distributors "branch=$BR&search=$MID" "distributors: search matches a substring" "$d1" "$d2" "$d3" "$d4"
list_is distributors "search=$TM" "distributors: search without branch spans branches" \
	"$d1" "$d2" "$d3" "$d4" "$d6"
list_is distributors "branch=$BR&search=$T&status=active" "distributors: filters combine with AND" "$d1" "$d4"
list_is distributors "branch=$BR&search=%25" "distributors: search=% is a literal, not a wildcard"
list_is distributors "branch=$BR&search=_" "distributors: search=_ is a literal, not a wildcard"
list_is distributors "branch=$BR&search=${T}nomatch" "distributors: a search nothing matches is empty"
list_is distributors "branch=$BR-none" "distributors: an unknown branch lists nothing"
bad_status_filter distributors

# ---- clients: status, search (name, email, phone), distributor_id
mk distributors da "{\"name\":\"Dist A\",\"code\":null}"
mk distributors db "{\"name\":\"Dist B\",\"code\":null}"
mk clients c1 "{\"name\":\"Acme $TU\",\"status\":\"prospect\",\"distributor_id\":\"$da\",\"phone\":null,\"email\":null}"
mk clients c2 "{\"name\":\"Shop\",\"email\":\"Buyer.$TU@Example.com\",\"status\":\"active\",\"distributor_id\":\"$da\",\"phone\":null}"
mk clients c3 "{\"name\":\"Kiosk\",\"phone\":\"+27 21 $N\",\"status\":\"inactive\",\"distributor_id\":\"$db\",\"email\":null}"
mk clients c4 "{\"name\":\"Corner\",\"notes\":\"$T $N\",\"address\":\"$T\",\"category\":\"$T\",\"status\":\"active\",\"distributor_id\":null,\"phone\":null,\"email\":null}"
mk clients c5 "{\"name\":\"Elsewhere $T\",\"distributor_id\":null}" "$B2"
list_is clients "branch=$BR&status=prospect" "clients: status=prospect" "$c1"
list_is clients "branch=$BR&status=active" "clients: status=active" "$c2" "$c4"
list_is clients "branch=$BR&status=inactive" "clients: status=inactive" "$c3"
list_is clients "branch=$BR&search=$T" "clients: search matches name and email, not notes/address/category" "$c1" "$c2"
list_is clients "branch=$BR&search=$TM" "clients: search is case-insensitive" "$c1" "$c2"
list_is clients "branch=$BR&search=$MID" "clients: search matches a substring" "$c1" "$c2"
list_is clients "branch=$BR&search=$N" "clients: search matches phone" "$c3"
list_is clients "search=$T" "clients: search without branch spans branches" "$c1" "$c2" "$c5"
list_is clients "distributor_id=$da" "clients: distributor_id" "$c1" "$c2"
list_is clients "distributor_id=$db" "clients: distributor_id (other distributor)" "$c3"
list_is clients "branch=$BR&distributor_id=$(uuid)" "clients: distributor_id nobody has lists nothing"
list_is clients "distributor_id=$da&status=active" "clients: distributor_id and status combine" "$c2"
api GET "/api/clients?distributor_id=not-a-uuid"
is_error 400 invalid_format "" "clients: distributor_id=not-a-uuid is 400 invalid_format"
bad_status_filter clients

# ---- appointments: date (day of scheduled_at), status, client_id, assigned_to
mk clients ca "{\"name\":\"Client A\"}"
mk clients cb "{\"name\":\"Client B\"}"
mk appointments a1 "{\"client_id\":\"$ca\",\"scheduled_at\":\"$(local_ts '2026-03-10 00:00:00')\",\"assigned_to\":\"ann-$T\",\"status\":\"scheduled\"}"
mk appointments a2 "{\"client_id\":\"$ca\",\"scheduled_at\":\"$(local_ts '2026-03-10 23:59:59.999')\",\"assigned_to\":\"bob-$T\",\"status\":\"completed\"}"
mk appointments a3 "{\"client_id\":\"$cb\",\"scheduled_at\":\"$(local_ts '2026-03-11 00:00:00')\",\"assigned_to\":\"ann-$T\",\"status\":\"cancelled\"}"
mk appointments a4 "{\"client_id\":\"$cb\",\"scheduled_at\":\"$(local_ts '2026-03-09 23:59:59')\",\"assigned_to\":\"ann-$T\",\"status\":\"no_show\"}"
list_is appointments "branch=$BR&date=2026-03-10" "appointments: date= takes the whole day, first and last instant" "$a1" "$a2"
list_is appointments "branch=$BR&date=2026-03-11" "appointments: date= starts at midnight" "$a3"
list_is appointments "branch=$BR&date=2026-03-09" "appointments: date= ends before midnight" "$a4"
list_is appointments "branch=$BR&date=2026-03-12" "appointments: a day without rows lists nothing"
list_is appointments "branch=$BR&status=scheduled" "appointments: status=scheduled" "$a1"
list_is appointments "branch=$BR&status=completed" "appointments: status=completed" "$a2"
list_is appointments "branch=$BR&status=cancelled" "appointments: status=cancelled" "$a3"
list_is appointments "branch=$BR&status=no_show" "appointments: status=no_show" "$a4"
list_is appointments "client_id=$ca" "appointments: client_id" "$a1" "$a2"
list_is appointments "branch=$BR&assigned_to=ann-$T" "appointments: assigned_to" "$a1" "$a3" "$a4"
list_is appointments "branch=$BR&date=2026-03-10&assigned_to=ann-$T" "appointments: date and assigned_to combine" "$a1"
api GET "/api/appointments?branch=$BR"
is_jq '[.[].id] | join(" ")' "$a4 $a1 $a2 $a3" "appointments: listed by scheduled_at"
api GET "/api/appointments?client_id=nope"
is_error 400 invalid_format "" "appointments: client_id=nope is 400 invalid_format"
bad_status_filter appointments
bad_date_filter appointments

# ---- stock-requests: status, date (day of created_at), distributor_id
mk stock-requests s1 "{\"distributor_id\":\"$da\",\"status\":\"pending\"}"
mk stock-requests s2 "{\"distributor_id\":\"$da\",\"status\":\"approved\"}"
mk stock-requests s3 "{\"distributor_id\":\"$db\",\"status\":\"rejected\"}"
mk stock-requests s4 "{\"distributor_id\":null,\"status\":\"fulfilled\"}"
list_is stock-requests "branch=$BR&date=$TODAY" "stock-requests: date=today holds new rows" "$s1" "$s2" "$s3" "$s4"
list_is stock-requests "branch=$BR&status=pending" "stock-requests: status=pending" "$s1"
list_is stock-requests "branch=$BR&status=approved" "stock-requests: status=approved" "$s2"
list_is stock-requests "branch=$BR&status=rejected" "stock-requests: status=rejected" "$s3"
list_is stock-requests "branch=$BR&status=fulfilled" "stock-requests: status=fulfilled" "$s4"
list_is stock-requests "distributor_id=$da" "stock-requests: distributor_id" "$s1" "$s2"
list_is stock-requests "branch=$BR&distributor_id=$db&status=rejected" "stock-requests: distributor_id and status combine" "$s3"
# move created_at to day boundaries (the API never lets a client set it)
sql "update stock_requests set created_at = '$(local_ts '2026-03-10 00:00:00')' where id = '$s1';
     update stock_requests set created_at = '$(local_ts '2026-03-10 23:59:59.999')' where id = '$s2';
     update stock_requests set created_at = '$(local_ts '2026-03-11 00:00:00')' where id = '$s3';" >/dev/null ||
	diag "could not move created_at"
list_is stock-requests "branch=$BR&date=2026-03-10" "stock-requests: date= takes the whole day of created_at" "$s1" "$s2"
list_is stock-requests "branch=$BR&date=2026-03-11" "stock-requests: date= starts at midnight" "$s3"
list_is stock-requests "branch=$BR&date=$TODAY" "stock-requests: date=today no longer holds the moved rows" "$s4"
api GET "/api/stock-requests?branch=$BR"
is_jq '[.[].id] | join(" ")' "$s4 $s3 $s2 $s1" "stock-requests: listed by created_at, newest first"
bad_status_filter stock-requests
bad_date_filter stock-requests

# ---- visits: date (day of visited_at), client_id, agent, search (agent, notes)
mk visits v1 "{\"client_id\":\"$ca\",\"visited_at\":\"$(local_ts '2026-03-10 00:00:00')\",\"agent\":\"Agent $TU\",\"notes\":\"-\"}"
mk visits v2 "{\"client_id\":\"$ca\",\"visited_at\":\"$(local_ts '2026-03-10 23:59:59.999')\",\"agent\":\"zed-$T\",\"notes\":\"left a brochure for $TM\"}"
mk visits v3 "{\"client_id\":\"$cb\",\"visited_at\":\"$(local_ts '2026-03-11 00:00:00')\",\"agent\":\"zed-$T\",\"notes\":\"nothing\"}"
mk visits v4 "{\"client_id\":\"$cb\",\"visited_at\":\"$(local_ts '2026-03-09 23:59:59')\",\"agent\":\"yan\",\"notes\":null,\"outcome\":null}"
list_is visits "branch=$BR&date=2026-03-10" "visits: date= takes the whole day of visited_at" "$v1" "$v2"
list_is visits "branch=$BR&date=2026-03-11" "visits: date= starts at midnight" "$v3"
list_is visits "branch=$BR&date=2026-03-09" "visits: date= ends before midnight" "$v4"
list_is visits "client_id=$cb" "visits: client_id" "$v3" "$v4"
list_is visits "branch=$BR&agent=zed-$T" "visits: agent" "$v2" "$v3"
list_is visits "branch=$BR&search=$T" "visits: search matches agent and notes" "$v1" "$v2" "$v3"
list_is visits "branch=$BR&search=Brochure" "visits: search in notes is case-insensitive" "$v2"
list_is visits "branch=$BR&search=$(enc "AGENT $TM")" "visits: search in agent is case-insensitive" "$v1"
list_is visits "branch=$BR&date=2026-03-10&agent=zed-$T" "visits: date and agent combine" "$v2"
api GET "/api/visits?branch=$BR"
is_jq '[.[].id] | join(" ")' "$v3 $v2 $v1 $v4" "visits: listed by visited_at, newest first"
bad_date_filter visits

# ---- campaigns: status, date (active on that day), search (name, channel)
mk campaigns k1 "{\"name\":\"Spring $TU\",\"channel\":\"radio\",\"starts_on\":\"2026-03-10\",\"ends_on\":\"2026-03-12\",\"status\":\"draft\"}"
mk campaigns k2 "{\"name\":\"Open\",\"channel\":\"tv-$T\",\"starts_on\":\"2026-03-11\",\"ends_on\":null,\"status\":\"active\"}"
mk campaigns k3 "{\"name\":\"Third\",\"channel\":\"print\",\"starts_on\":\"2026-03-13\",\"ends_on\":\"2026-03-13\",\"status\":\"paused\",\"details\":{\"tag\":\"$T\"}}"
mk campaigns k4 "{\"name\":\"Over\",\"channel\":\"web\",\"starts_on\":\"2026-01-01\",\"ends_on\":\"2026-01-31\",\"status\":\"ended\"}"
list_is campaigns "branch=$BR&date=2026-03-09" "campaigns: nothing active the day before the first start"
list_is campaigns "branch=$BR&date=2026-03-10" "campaigns: active from starts_on" "$k1"
list_is campaigns "branch=$BR&date=2026-03-12" "campaigns: active through ends_on" "$k1" "$k2"
list_is campaigns "branch=$BR&date=2026-03-13" "campaigns: a one-day campaign, and one without ends_on" "$k2" "$k3"
list_is campaigns "branch=$BR&date=2026-03-14" "campaigns: after ends_on only the open-ended one" "$k2"
list_is campaigns "branch=$BR&date=2026-01-31" "campaigns: date= on the last day" "$k4"
list_is campaigns "branch=$BR&status=draft" "campaigns: status=draft" "$k1"
list_is campaigns "branch=$BR&status=active" "campaigns: status=active" "$k2"
list_is campaigns "branch=$BR&status=paused" "campaigns: status=paused" "$k3"
list_is campaigns "branch=$BR&status=ended" "campaigns: status=ended" "$k4"
list_is campaigns "branch=$BR&search=$TM" "campaigns: search matches name and channel, not details" "$k1" "$k2"
list_is campaigns "branch=$BR&search=RADIO" "campaigns: search in channel is case-insensitive" "$k1"
list_is campaigns "branch=$BR&status=active&date=2026-03-12" "campaigns: status and date combine" "$k2"
api GET "/api/campaigns?branch=$BR"
is_jq '[.[].id] | join(" ")' "$k3 $k2 $k1 $k4" "campaigns: listed by starts_on, newest first"
bad_status_filter campaigns
bad_date_filter campaigns

# ---- finance-cash-requests: status, date (day of created_at), requested_by
mk finance-cash-requests f1 "{\"requested_by\":\"carol-$T\",\"status\":\"pending\"}"
mk finance-cash-requests f2 "{\"requested_by\":\"carol-$T\",\"status\":\"approved\"}"
mk finance-cash-requests f3 "{\"requested_by\":\"dan-$T\",\"status\":\"rejected\"}"
mk finance-cash-requests f4 "{\"requested_by\":\"dan-$T\",\"status\":\"paid\"}"
list_is finance-cash-requests "branch=$BR&date=$TODAY" "finance-cash-requests: date=today holds new rows" "$f1" "$f2" "$f3" "$f4"
list_is finance-cash-requests "branch=$BR&status=pending" "finance-cash-requests: status=pending" "$f1"
list_is finance-cash-requests "branch=$BR&status=approved" "finance-cash-requests: status=approved" "$f2"
list_is finance-cash-requests "branch=$BR&status=rejected" "finance-cash-requests: status=rejected" "$f3"
list_is finance-cash-requests "branch=$BR&status=paid" "finance-cash-requests: status=paid" "$f4"
list_is finance-cash-requests "requested_by=carol-$T" "finance-cash-requests: requested_by" "$f1" "$f2"
list_is finance-cash-requests "branch=$BR&requested_by=dan-$T&status=paid" "finance-cash-requests: requested_by and status combine" "$f4"
sql "update finance_cash_requests set created_at = '$(local_ts '2026-03-10 00:00:00')' where id = '$f1';
     update finance_cash_requests set created_at = '$(local_ts '2026-03-10 23:59:59.999')' where id = '$f2';
     update finance_cash_requests set created_at = '$(local_ts '2026-03-11 00:00:00')' where id = '$f3';" >/dev/null ||
	diag "could not move created_at"
list_is finance-cash-requests "branch=$BR&date=2026-03-10" "finance-cash-requests: date= takes the whole day of created_at" "$f1" "$f2"
list_is finance-cash-requests "branch=$BR&date=2026-03-11" "finance-cash-requests: date= starts at midnight" "$f3"
list_is finance-cash-requests "branch=$BR&date=2026-03-09" "finance-cash-requests: a day without rows lists nothing"
api GET "/api/finance-cash-requests?branch=$BR"
is_jq '[.[].id] | join(" ")' "$f4 $f3 $f2 $f1" "finance-cash-requests: listed by created_at, newest first"
bad_status_filter finance-cash-requests
bad_date_filter finance-cash-requests

# ---- leave-requests: status, date (within start_date..end_date), employee
mk leave-requests l1 "{\"employee\":\"erin-$T\",\"start_date\":\"2026-03-10\",\"end_date\":\"2026-03-12\",\"status\":\"pending\"}"
mk leave-requests l2 "{\"employee\":\"finn-$T\",\"start_date\":\"2026-03-12\",\"end_date\":\"2026-03-12\",\"status\":\"approved\"}"
mk leave-requests l3 "{\"employee\":\"erin-$T\",\"start_date\":\"2026-03-13\",\"end_date\":\"2026-03-20\",\"status\":\"rejected\"}"
mk leave-requests l4 "{\"employee\":\"gus-$T\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"status\":\"cancelled\"}"
list_is leave-requests "branch=$BR&date=2026-03-09" "leave-requests: nothing the day before start_date"
list_is leave-requests "branch=$BR&date=2026-03-10" "leave-requests: date= on start_date" "$l1"
list_is leave-requests "branch=$BR&date=2026-03-12" "leave-requests: date= on end_date, and a one-day leave" "$l1" "$l2"
list_is leave-requests "branch=$BR&date=2026-03-20" "leave-requests: date= on the last day" "$l3"
list_is leave-requests "branch=$BR&date=2026-03-21" "leave-requests: nothing after end_date"
list_is leave-requests "branch=$BR&status=pending" "leave-requests: status=pending" "$l1"
list_is leave-requests "branch=$BR&status=approved" "leave-requests: status=approved" "$l2"
list_is leave-requests "branch=$BR&status=rejected" "leave-requests: status=rejected" "$l3"
list_is leave-requests "branch=$BR&status=cancelled" "leave-requests: status=cancelled" "$l4"
list_is leave-requests "employee=erin-$T" "leave-requests: employee" "$l1" "$l3"
list_is leave-requests "branch=$BR&employee=erin-$T&date=2026-03-15" "leave-requests: employee and date combine" "$l3"
api GET "/api/leave-requests?branch=$BR"
is_jq '[.[].id] | join(" ")' "$l3 $l2 $l1 $l4" "leave-requests: listed by start_date, newest first"
bad_status_filter leave-requests
bad_date_filter leave-requests

# ---- values that need percent-encoding, and case-insensitivity beyond ASCII
B3="$BR-enc"
mk clients u1 "{\"name\":\"Café Ünïcode $T\",\"distributor_id\":null}" "$B3"
mk clients u2 "{\"name\":\"R&D + Co; 50% off $T\",\"distributor_id\":null}" "$B3"
mk clients u3 "{\"name\":\"plain $T\",\"distributor_id\":null}" "$B3"
list_is clients "branch=$(enc "$B3")&search=$(enc 'ÜNÏ')" "clients: search is case-insensitive beyond ASCII" "$u1"
list_is clients "branch=$(enc "$B3")&search=$(enc 'café')" "clients: search with an encoded é" "$u1"
list_is clients "branch=$(enc "$B3")&search=$(enc 'R&D + Co;')" "clients: search with & + ; encoded" "$u2"
list_is clients "branch=$(enc "$B3")&search=$(enc '50%')" "clients: search with an encoded %" "$u2"
list_is clients "branch=$(enc "$B3")&search=$(enc 'd + c')" "clients: search with spaces around +" "$u2"
mk appointments e1 "{\"client_id\":\"$u1\",\"assigned_to\":\"R&D team = 1\"}" "$B3"
mk appointments e2 "{\"client_id\":\"$u1\",\"assigned_to\":\"R\"}" "$B3"
list_is appointments "branch=$(enc "$B3")&assigned_to=$(enc 'R&D team = 1')" "appointments: assigned_to with & = and spaces" "$e1"
list_is appointments "branch=$(enc "$B3")&assigned_to=R" "appointments: assigned_to is an exact match" "$e2"

done_testing
