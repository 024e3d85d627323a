#!/bin/bash
# A deleted row stays deleted (a POST of its id is 409 deleted, unless it is the original create's
# Idempotency-Key replay); what a replayed create answers after later edits; If-Match on DELETE;
# a PUT whose body version and If-Match disagree.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
. "$(dirname "$0")/../auth/lib-auth.sh"
require_stack

BR=$(new_branch)
id=$(uuid)
key="create-$(uniq_token)"
row="{\"id\":\"$id\",\"branch\":\"$BR\",\"name\":\"kept\",\"phone\":\"100\"}"

json POST /api/clients "$row" -H "Idempotency-Key: $key"
is_status 201 "a create with a client id and a key answers 201"
created=$BODY

# A replay without a key, after an edit of another field: the row as it is now, nothing written.
json PUT /api/clients "{\"id\":\"$id\",\"email\":\"later@example.com\"}"
is_status 200 "someone edits another field"
json POST /api/clients "$row"
is_status 201 "a replay of the create without a key, every field sent unchanged, answers 201"
is_jq .email later@example.com "... with the row as it is now"
is "$(sql "select version from clients where id = '$id'")" 2 "... and writes nothing"

# After an edit of a field the create sent: 409 with the row as it is now.
json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"200\"}"
json POST /api/clients "$row"
is_error 409 duplicate_id id "a replay without a key after its own fields changed is 409 duplicate_id"
is_jq .error.current.phone 200 "... error.current is the row as it is now"

# With the original key, the original answer, whatever changed since.
json POST /api/clients "$row" -H "Idempotency-Key: $key"
is_status 201 "a replay with the original key answers the original 201"
ok_jq '. == $c' "... with the original body" --argjson c "${created:-null}"
is "$(header Idempotent-Replay)" true "... marked as a replay"

# DELETE honours If-Match.
api DELETE "/api/clients?id=$id" -H 'If-Match: "1"'
is_error 409 version_conflict version "DELETE with a stale If-Match is 409 version_conflict"
is_jq .error.current.version 3 "... with the current row"
is "$(count_rows clients "id = '$id'")" 1 "... and deletes nothing"
api DELETE "/api/clients?id=$id" -H 'If-Match: W/"x"'
is_error 400 invalid_parameter If-Match "DELETE with an If-Match that is no version is 400"
api DELETE "/api/clients?id=$id" -H 'If-Match: "3"'
is_status 204 "DELETE at the current version answers 204"
seq=$(sql "select max(seq) from change_log where row_id = '$id' and action = 'delete'")

# A deleted row stays deleted.
json POST /api/clients "$row"
is_error 409 deleted id "a POST of a deleted row's id is 409 deleted"
is_jq .error.seq "${seq:-none}" "... naming the delete's change-log entry"
is "$(count_rows clients "id = '$id'")" 0 "... and the row stays deleted"
is "$(sql "select count(*) from change_log where row_id = '$id' and action = 'create'")" 1 \
	"... with no second create in the change log"
json POST /api/clients "[{\"branch\":\"$BR\",\"name\":\"fine\"},$row]"
ERR_INDEX=1 is_error 409 deleted id "in a batch, the deleted id fails the batch at its index"
is "$(count_rows clients "branch = '$BR'")" 0 "... and nothing of the batch is written"
json POST /api/clients "$row" -H "Idempotency-Key: $key"
is_status 201 "the original key still replays its answer after the delete"
is "$(count_rows clients "id = '$id'")" 0 "... without bringing the row back"
api DELETE "/api/clients?id=$id" -H 'If-Match: "3"'
is_error 404 not_found id "a DELETE of the deleted row is 404"

# PUT: the body's version and If-Match must agree when both are given.
create clients "{\"branch\":\"$BR\",\"name\":\"both\"}"
json PUT /api/clients "{\"id\":\"$ID\",\"version\":1,\"phone\":\"1\"}" -H 'If-Match: "2"'
is_error 400 invalid_parameter If-Match "a PUT whose body version and If-Match disagree is 400"
is "$(sql "select version from clients where id = '$ID'")" 1 "... and changes nothing"
json PUT /api/clients "{\"id\":\"$ID\",\"version\":1,\"phone\":\"1\"}" -H 'If-Match: "1"'
is_status 200 "a PUT whose body version and If-Match agree answers 200"

# An id taken in a branch the user cannot see: taken, and nothing more.
OTHER=$(new_branch)
rep=$(new_login)
add_user "$rep" "$AUTH_HASH" rep "$BR" >/dev/null
login "$rep" "$AUTH_PW"
create clients "{\"branch\":\"$OTHER\",\"name\":\"hidden\",\"phone\":\"555\"}"
hidden=$ID
API_TOKEN=$TOKEN json POST /api/clients "{\"id\":\"$hidden\",\"branch\":\"$BR\",\"name\":\"mine\"}"
is_error 409 duplicate_id id "a rep's POST of an id taken in another branch is 409 duplicate_id"
ok_jq '.error.current == null and (tostring | contains("555") | not)' "... without the row it cannot see"

done_testing
