#!/bin/bash
# Optimistic concurrency on PUT: version in the body or If-Match, 409 version_conflict with the
# current row, unconditional PUT, concurrent PUTs, and fields the server owns.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)

sample clients "$BR" '{"name":"versioned","phone":"100"}'
create clients "$SAMPLE"
id=$ID

json PUT /api/clients "{\"id\":\"$id\",\"version\":1,\"phone\":\"101\"}"
is_status 200 "PUT version 1 answers 200"
is_jq .version 2 "the row is at version 2"
api GET "/api/clients?id=$id"
current=$BODY

json PUT /api/clients "{\"id\":\"$id\",\"version\":1,\"phone\":\"stale\"}"
is_error 409 version_conflict "" "PUT version 1 again is 409 version_conflict"
ok_jq '.error.current == $c' "error.current is the row as stored" --argjson c "${current:-null}"
is "$(sql "select version || ' ' || phone from clients where id = '$id'")" "2 101" "the stale PUT changed nothing"

json PUT /api/clients "{\"id\":\"$id\",\"version\":7,\"phone\":\"future\"}"
is_error 409 version_conflict "" "PUT with a version from the future is 409"
is_jq .error.current.version 2 "the conflict reports version 2"

json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"stale\"}" -H 'If-Match: "1"'
is_error 409 version_conflict "" "If-Match \"1\" on version 2 is 409 version_conflict"
ok_jq '.error.current == $c' "the If-Match conflict carries the stored row" --argjson c "${current:-null}"

json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"102\"}" -H 'If-Match: "2"'
is_status 200 "If-Match \"2\" on version 2 answers 200"
is "$(sql "select version || ' ' || phone from clients where id = '$id'")" "3 102" "the database has version 3"

json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"103\"}"
is_status 200 "PUT without version or If-Match is unconditional"
is_jq '.version,.phone' $'4\n103' "the unconditional PUT made version 4"

api GET "/api/clients?id=$id"
is "$(header ETag)" '"4"' "GET has ETag \"4\""

# conditional PUT on a row nobody has: 404, not 409
json PUT /api/clients "{\"id\":\"$(uuid)\",\"version\":1,\"phone\":\"x\"}"
is_error 404 not_found "" "PUT of an unknown id with a version is 404"
json PUT /api/clients '{"version":4,"phone":"x"}'
is_error 400 missing_id "" "PUT without id is 400 missing_id"
json PUT /api/clients '{"id":"nope","phone":"x"}'
is_error 400 invalid_format id "PUT with id \"nope\" is 400 invalid_format on id"
json PUT /api/clients "{\"id\":\"$id\",\"version\":\"4\",\"phone\":\"x\"}"
is_error 400 invalid_type version "PUT with version \"4\" (a string) is 400 invalid_type"
is "$(sql "select version from clients where id = '$id'")" 4 "none of the refused PUTs changed the row"

# the server owns version, created_at and updated_at
sample clients "$BR" '{"name":"owned fields","version":9,"created_at":"2001-01-01T00:00:00Z","updated_at":"2001-01-01T00:00:00Z"}'
json POST /api/clients "$SAMPLE"
is_status 201 "POST with version, created_at and updated_at answers 201"
is_jq .version 1 "POST ignores a version sent"
ok_jq '(.created_at | startswith("2001") | not) and (.updated_at | startswith("2001") | not)' \
	"POST ignores created_at and updated_at sent"
id2=$(jqb .id) created=$(jqb .created_at)
json PUT /api/clients "{\"id\":\"$id2\",\"version\":1,\"name\":\"owned fields 2\",\"created_at\":\"2001-01-01T00:00:00Z\",\"updated_at\":\"2001-01-01T00:00:00Z\"}"
is_status 200 "PUT with created_at and updated_at answers 200"
is_jq .created_at "$created" "PUT keeps created_at"
ok_jq '.updated_at | startswith("2001") | not' "PUT ignores an updated_at sent"

# concurrent PUTs with the same version: exactly one wins
sample clients "$BR" '{"name":"raced"}'
create clients "$SAMPLE"
rid=$ID
dir=$(mktemp -d)
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Type: application/json' --max-time 10 \
		-H "$(auth_header)" --data-binary "{\"id\":\"$rid\",\"version\":1,\"notes\":\"writer $i\"}" \
		"$FIELDSYNC_URL/api/clients" >"$dir/$i" &
done
wait
codes=$(cat "$dir"/* | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')
rm -rf "$dir"
is "$codes" "200 x1 409 x7 " "8 concurrent PUTs of version 1: one 200, seven 409"
is "$(sql "select version from clients where id = '$rid'")" 2 "the row was updated exactly once"
if [ "$(sql "select to_regclass('change_log') is not null")" = t ]; then
	is "$(count_rows change_log "row_id = '$rid' and action <> 'create' and action <> 'insert'")" 1 \
		"the change log holds one update for it"
else
	ok 0 "the change log holds one update for it # SKIP no change_log table yet"
fi

done_testing
