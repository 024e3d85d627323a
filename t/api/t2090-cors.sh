#!/bin/bash
# CORS: allowed origins get Access-Control-Allow-Origin and an answered preflight; others get
# no Allow-Origin and a 403 origin_not_allowed preflight.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
GOOD=http://localhost:8080
BAD=http://evil.example

# has_token LIST TOKEN: LIST (a comma-separated header value) holds TOKEN, case-insensitively.
has_token() {
	printf '%s\n' "$1" | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -qixF -- "$2"
}

# preflight PATH ORIGIN [METHOD]: a browser's preflight, which never carries credentials.
preflight() {
	API_TOKEN=none api OPTIONS "$1" -H "Origin: $2" -H "Access-Control-Request-Method: ${3:-PUT}" \
		-H 'Access-Control-Request-Headers: content-type, idempotency-key, if-match'
}

preflight /api/clients "$GOOD"
is_status 204 "preflight from $GOOD answers 204"
is "$(header Access-Control-Allow-Origin)" "$GOOD" "the preflight echoes the origin in Access-Control-Allow-Origin"
methods=$(header Access-Control-Allow-Methods)
for m in GET POST PUT DELETE; do
	ok "$(has_token "$methods" "$m"; echo $?)" "Access-Control-Allow-Methods lists $m"
done
headers=$(header Access-Control-Allow-Headers)
for h in Content-Type Idempotency-Key If-Match Authorization X-Requested-With; do
	ok "$(has_token "$headers" "$h"; echo $?)" "Access-Control-Allow-Headers lists $h"
done
[ -n "$methods$headers" ] || diag "preflight headers:" "$HEADERS"
is "$(header Access-Control-Allow-Credentials)" true \
	"an origin named in cors_origins may send the session cookie (Allow-Credentials)"

for res in $RESOURCES; do
	preflight "/api/$res" "$GOOD" DELETE
	is "$STATUS $(header Access-Control-Allow-Origin)" "204 $GOOD" "$res: the preflight is answered"
done

api GET "/api/clients?branch=$BR" -H "Origin: $GOOD"
is_status 200 "GET with an allowed Origin answers 200"
is "$(header Access-Control-Allow-Origin)" "$GOOD" "GET with an allowed Origin carries Access-Control-Allow-Origin"
vary=$(header Vary)
ok "$(has_token "$vary" Origin; echo $?)" "the echoed origin comes with Vary: Origin"

json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"from a browser\"}" -H "Origin: $GOOD"
is "$STATUS $(header Access-Control-Allow-Origin)" "201 $GOOD" "POST with an allowed Origin carries Access-Control-Allow-Origin"
api GET "/api/clients?id=$(uuid)" -H "Origin: $GOOD"
is "$STATUS $(header Access-Control-Allow-Origin)" "404 $GOOD" "an error answer carries Access-Control-Allow-Origin too"
json POST /api/clients '{"name":5}' -H "Origin: $GOOD"
is "$STATUS $(header Access-Control-Allow-Origin)" "400 $GOOD" "a 400 carries Access-Control-Allow-Origin too"

# origins not in the list
api GET "/api/clients?branch=$BR" -H "Origin: $BAD"
is "$STATUS/$(header Access-Control-Allow-Origin)" "200/" "GET from another origin has no Access-Control-Allow-Origin"
preflight /api/clients "$BAD"
is_error 403 origin_not_allowed "" "preflight from another origin is 403 origin_not_allowed"
is "$(header Access-Control-Allow-Origin)" "" "... without Access-Control-Allow-Origin"
for o in "$GOOD.evil.example" "http://localhost:80800" "https://localhost:8080" "null" "http://evil.example/http://localhost:8080"; do
	api GET "/api/clients?branch=$BR" -H "Origin: $o"
	is "$(header Access-Control-Allow-Origin)" "" "Origin $o gets no Access-Control-Allow-Origin"
done
preflight /api/clients "$GOOD.evil.example"
is_error 403 origin_not_allowed "" "a preflight from $GOOD.evil.example is 403"

api GET "/api/clients?branch=$BR"
is "$(header Access-Control-Allow-Origin)" "" "a request without Origin gets no Access-Control-Allow-Origin"
ok "$([ "$(header Access-Control-Allow-Origin)" != '*' ]; echo $?)" "never a wildcard origin"

# the preflight writes nothing and OPTIONS does not reach the resource
is "$(branch_rows clients "$BR")" 1 "only the POST wrote a row"

# The event stream's relay answers CORS the same way, credentials included. (A shared host's
# Apache has no relay: the browser library follows the changes feed instead.)
if behind_nginx; then
	api GET /events/health -H "Origin: $GOOD"
	is "$STATUS $(header Access-Control-Allow-Origin) $(header Access-Control-Allow-Credentials)" \
		"200 $GOOD true" "the relay lets a listed origin in, with credentials"
	api GET /events/health -H "Origin: $BAD"
	is "$(header Access-Control-Allow-Origin)$(header Access-Control-Allow-Credentials)" "" \
		"the relay lets no other origin in"
else
	skip "$FIELDSYNC_FRONT: no event relay behind it" "the relay lets a listed origin in, with credentials"
	skip "$FIELDSYNC_FRONT: no event relay behind it" "the relay lets no other origin in"
fi

done_testing
