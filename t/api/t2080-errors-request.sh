#!/bin/bash
# Errors caused by the request itself: size, content type, method, path, query parameters, ids.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# ---- body over 1 MiB: 413 as JSON, nothing written
jq -cn --arg b "$BR" '{branch: $b, name: "too big", notes: ("x" * 1100000)}' >"$tmp"
api POST /api/clients -H 'Content-Type: application/json' --data-binary @"$tmp"
is_error 413 payload_too_large "" "a body of 1.1 MB is 413 payload_too_large, as JSON"
jq -cn --arg b "$BR" '[range(3000) | {branch: $b, name: "too many \(.)", notes: ("y" * 400)}]' >"$tmp"
api POST /api/clients -H 'Content-Type: application/json' --data-binary @"$tmp"
is_error 413 payload_too_large "" "a bulk of 1.2 MB is 413 payload_too_large"
head -c 3000000 /dev/zero | tr '\0' ' ' >"$tmp"
api POST /api/clients -H 'Content-Type: application/json' --data-binary @"$tmp"
is_error 413 payload_too_large "" "a 3 MB body is 413 payload_too_large, as JSON"
jq -cn --arg id "$(uuid)" '{id: $id, notes: ("x" * 1100000)}' >"$tmp"
api PUT /api/clients -H 'Content-Type: application/json' --data-binary @"$tmp"
is_error 413 payload_too_large "" "a PUT of 1.1 MB is 413 payload_too_large"
is "$(branch_rows clients "$BR")" 0 "none of the large bodies wrote a row"

# ---- pathological JSON: refused, and the worker survives
jq -cn --arg b "$BR" '{branch: $b, name: "deep"}' | sed 's/}$//' >"$tmp"
{ printf ',"notes":'; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}'; } >>"$tmp"
api POST /api/clients -H 'Content-Type: application/json' --data-binary @"$tmp"
is_error 400 'malformed_json|invalid_type' "" "100000 nested arrays are refused with a 400"
api GET "/api/clients?branch=$BR"
is_status 200 "the API still answers after it"

# ---- content type
body="{\"branch\":\"$BR\",\"name\":\"typed\"}"
api POST /api/clients -H 'Content-Type: text/plain' --data-binary "$body"
is_error 415 unsupported_media_type "" "POST with Content-Type text/plain is 415"
api POST /api/clients -H 'Content-Type:' --data-binary "$body"
is_error 415 unsupported_media_type "" "POST without Content-Type is 415"
api POST /api/clients --data-binary "$body"
is_error 415 unsupported_media_type "" "POST as a form (curl's default type) is 415"
api POST /api/clients -H 'Content-Type: application/jsonp' --data-binary "$body"
is_error 415 unsupported_media_type "" "POST with application/jsonp is 415"
sample clients "$BR" '{"name":"typed target"}'
create clients "$SAMPLE"
cid=$ID
api PUT /api/clients -H 'Content-Type: text/plain' --data-binary "{\"id\":\"$cid\",\"name\":\"x\"}"
is_error 415 unsupported_media_type "" "PUT with Content-Type text/plain is 415"
is "$(count_rows clients "branch = '$BR' and name in ('typed', 'x')")" 0 "nothing written with a wrong type"
api POST /api/clients -H 'Content-Type: application/json; charset=utf-8' --data-binary "$body"
is_status 201 "Content-Type application/json; charset=utf-8 is accepted"
api POST /api/clients -H 'Content-Type: Application/JSON' --data-binary "{\"branch\":\"$BR\",\"name\":\"typed 2\"}"
is_status 201 "the media type is case-insensitive"

# ---- methods
api PATCH "/api/clients?id=$cid" -H 'Content-Type: application/json' --data-binary '{"name":"patched"}'
is_error 405 method_not_allowed "" "PATCH is 405 method_not_allowed"
allow=$(header Allow | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
is "$allow" "DELETE GET HEAD OPTIONS POST PUT " "the 405 carries Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS"
is "$(count_rows clients "id = '$cid' and name = 'patched'")" 0 "PATCH changed nothing"
api PATCH /api/leave-requests -H 'Content-Type: application/json' --data-binary '{}'
is_error 405 method_not_allowed "" "PATCH on another resource is 405 too"
ok "$([ -n "$(header Allow)" ]; echo $?)" "... with an Allow header"
api PROPFIND /api/clients
is_error 405 method_not_allowed "" "PROPFIND is 405 method_not_allowed"

# ---- HEAD
api HEAD "/api/clients?id=$cid" -I
is "$STATUS/$(header ETag)" '200/"1"' "HEAD ?id= answers 200 with the ETag"

# ---- paths
api GET /api/nope
is_error 404 not_found "" "GET /api/nope is a JSON 404"
json POST /api/nope '{}'
is_error 404 not_found "" "POST /api/nope is a JSON 404"
api GET /api/client
is_error 404 not_found "" "GET /api/client (singular) is a JSON 404"
api GET /api/stock_requests
is_error 404 not_found "" "GET /api/stock_requests (table name, not path) is a JSON 404"

# ---- query parameters
api GET "/api/clients?colour=red"
is_error 400 unknown_parameter "" "an unknown query parameter is 400 unknown_parameter"
api GET "/api/clients?date=2026-01-01"
is_error 400 unknown_parameter "" "clients?date= (another resource's filter) is 400 unknown_parameter"
api GET "/api/distributors?client_id=$cid"
is_error 400 unknown_parameter "" "distributors?client_id= is 400 unknown_parameter"
api GET "/api/visits?status=order"
is_error 400 unknown_parameter "" "visits?status= (visits have no status) is 400 unknown_parameter"
api GET "/api/clients?branch=$BR&Status=active"
is_error 400 unknown_parameter "" "a parameter in the wrong case is 400 unknown_parameter"
api GET "/api/clients?branch=$BR&status=active&status=inactive"
is_error 400 invalid_parameter "" "a repeated parameter is 400 invalid_parameter"
api GET "/api/clients?branch=$BR&status="
is_error 400 invalid_parameter "" "an empty parameter is 400 invalid_parameter"
api GET "/api/clients?branch="
is_error 400 invalid_parameter "" "an empty branch is 400 invalid_parameter"
api GET "/api/clients?status=vip"
is_error 400 '[a-z_]+' "" "a status filter outside the set is a 400"

# invalid UTF-8 in a parameter: a 400 that names that parameter
api GET "/api/clients?branch=$BR&search=%FF"
is_error 400 '[a-z_]+' search "search=%FF (not UTF-8) is a 400 naming search"
api GET "/api/clients?branch=%FF%FE"
is_error 400 '[a-z_]+' branch "branch=%FF%FE (not UTF-8) is a 400 naming branch"
# a request line too long for the server is still answered in JSON (nginx's snippet; Apache
# answers a request line over its LimitRequestLine before any .htaccess is read)
if behind_nginx; then
	api GET "/api/clients?branch=$BR&search=$(head -c 20000 /dev/zero | tr '\0' a)"
	is_error '4[0-9][0-9]' '[a-z_]+' "" "a 20000-character query string is a JSON error"
else
	skip "$FIELDSYNC_FRONT: a request line over LimitRequestLine gets Apache's own 414 page" \
		"a 20000-character query string is a JSON error"
fi

# ---- ids in the query
api GET "/api/clients?id=not-a-uuid"
is_error 400 invalid_format "" "GET ?id=not-a-uuid is 400 invalid_format"
api GET "/api/clients?id=$(uuid)"
is_error 404 not_found "" "GET ?id= of nothing is 404"
api GET "/api/clients?id=${cid^^}"
is "$STATUS/$(jqb .id)" "200/$cid" "GET ?id= in capitals finds the row"
api DELETE "/api/clients?id=not-a-uuid"
is_error 400 invalid_format "" "DELETE ?id=not-a-uuid is 400 invalid_format"
api DELETE /api/clients
is_error 400 missing_id "" "DELETE without ?id= is 400 missing_id"
api DELETE "/api/clients?id=$(uuid)"
is_error 404 not_found "" "DELETE of nothing is 404"
api DELETE "/api/clients?branch=$BR"
is_error 400 'missing_id|unknown_parameter' "" "DELETE ?branch= (no id) does not delete a branch"
is "$(branch_rows clients "$BR")" 3 "the branch still has its rows"

done_testing
