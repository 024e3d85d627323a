#!/bin/bash
# Who did what: rows carry created_by and updated_by and every change_log entry its actor,
# all written by the server from the session (a psql write has none); the change log keeps
# each row's owner, for tombstones too; the workers record their declaration in the database.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-auth.sh
. "$(dirname "$0")/lib-auth.sh"

require_stack
branch=$(new_branch)
ann=$(new_login) bob=$(new_login)
ann_id=$(add_user "$ann" "$AUTH_HASH" rep "$branch") || bail_out "cannot add $ann"
bob_id=$(add_user "$bob" "$AUTH_HASH" manager "$branch") || bail_out "cannot add $bob"
login "$ann" "$AUTH_PW"
ann_token=$TOKEN
login "$bob" "$AUTH_PW"
bob_token=$TOKEN
{ [ -n "$ann_token" ] && [ -n "$bob_token" ]; } || bail_out "sign-in failed: $BODY"

# by TABLE ID: created_by|updated_by of the row.
by() { sql "select coalesce(created_by::text, '-') || '|' || coalesce(updated_by::text, '-') from $1 where id = '$2'"; }
# actors ID: the actors of the row's change_log entries, in seq order.
actors() { sql "select string_agg(coalesce(actor::text, '-'), ' ' order by seq) from change_log where row_id = '$1'"; }

json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"Made by ann\",\"created_by\":\"$bob_id\"}" \
	-H "Authorization: Bearer $ann_token"
is "$STATUS" 201 "a signed-in POST answers 201"
id=$(jqb .id)
is "$(by clients "$id")" "$ann_id|$ann_id" "created_by and updated_by are the user's (a sent created_by is ignored)"
is "$(jqb .created_by)" "$ann_id" "the answer shows created_by"
json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"1\",\"updated_by\":\"$ann_id\"}" \
	-H "Authorization: Bearer $bob_token"
is "$STATUS" 200 "another user's PUT answers 200"
is "$(by clients "$id")" "$ann_id|$bob_id" "updated_by follows, created_by stays"
suite_id=$(sql "select id from users where login = '$SUITE_LOGIN'")
json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"2\"}"
is "$(by clients "$id")" "$ann_id|$suite_id" "the suite's admin writes as itself"
is "$(actors "$id")" "$ann_id $bob_id $suite_id" "each change_log entry records its actor"

psql_id=$(sql "insert into clients (branch, name) values ('$branch', 'psql') returning id" | head -n 1)
is "$(by clients "$psql_id")" "-|-" "a row written with psql has no created_by"
is "$(actors "$psql_id")" "-" "... and its change_log entry no actor"

before=$(count_rows clients "branch = '$branch'")
json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"forged\"}" -H "Authorization: Bearer not-a-token"
is "$STATUS,$(jqb .error.code)" "401,unauthenticated" "a write with a bad token is 401, not anonymous"
json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"forged\"}" -H "Cookie: fieldsync_session=$ann_token" \
	-H "Origin: http://evil.example"
is "$STATUS,$(jqb .error.code)" "403,csrf_failed" "a cookie write from a foreign origin fails the CSRF check"
is "$(count_rows clients "branch = '$branch'")" "$before" "... and neither wrote a row"

# The declaration reaches the database: the owner column, and the tombstone keeps the owner.
is "$(sql "select owner_column from change_log_tables where name = 'leave_requests'")" employee \
	"leave_requests' owner column is recorded from the declaration"
is "$(sql "select declaration ->> 'path' from change_log_tables where name = 'leave_requests'")" \
	leave-requests "... with the declaration"
sample leave-requests "$branch" "{\"employee\":\"$ann\"}"
create leave-requests "$SAMPLE" || bail_out "cannot create a leave request"
api DELETE "/api/leave-requests?id=$ID"
is "$STATUS" 204 "the leave request is deleted"
is "$(sql "select owner || '|' || coalesce(data::text, 'null') from change_log where row_id = '$ID' and action = 'delete'")" \
	"$ann|null" "its tombstone keeps the owner, not the row"

done_testing
