#!/bin/bash
# Idempotency-Key on POST, PUT and DELETE: a repeat gets the first answer back (with
# Idempotent-Replay: true) and applies nothing; the key with another request is 422.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
key() { printf 'key-%s-%s\n' "$(uniq_token)" "$1"; }

# ---- POST
K1=$(key post)
body="{\"branch\":\"$BR\",\"name\":\"keyed create\"}"
json POST /api/clients "$body" -H "Idempotency-Key: $K1"
is_status 201 "POST with a key answers 201"
first=$BODY
isnt_replay=$(header Idempotent-Replay)
is "$isnt_replay" "" "the first answer is not marked as a replay"
json POST /api/clients "$body" -H "Idempotency-Key: $K1"
is_status 201 "the repeat answers 201"
is "$BODY" "$first" "the repeat answers the first body, byte for byte"
is "$(header Idempotent-Replay)" true "the repeat carries Idempotent-Replay: true"
is "$(count_rows clients "branch = '$BR' and name = 'keyed create'")" 1 "one row in the database"

json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"keyed create, other body\"}" -H "Idempotency-Key: $K1"
is_error 422 idempotency_key_reused "" "the key with another body is 422 idempotency_key_reused"
is "$(count_rows clients "branch = '$BR' and name like 'keyed create%'")" 1 "nothing was written"
json PUT /api/clients "{\"id\":\"$(jq -r .id <<<"$first")\",\"phone\":\"put under a POST key\"}" -H "Idempotency-Key: $K1"
is_error 422 idempotency_key_reused "" "the key with another method is 422 idempotency_key_reused"
is "$(count_rows clients "branch = '$BR' and phone = 'put under a POST key'")" 0 "that PUT was not applied"
api POST "/api/clients?branch=$BR" -H 'Content-Type: application/json' --data-binary "$body" -H "Idempotency-Key: $K1"
is_error '4[0-9][0-9]' '.*' "" "the key with another query string is refused"
is "$(count_rows clients "branch = '$BR' and name like 'keyed create%'")" 1 "still one row"

# without a key the same body creates another row
json POST /api/clients "$body"
is_status 201 "the same body without a key creates a row"
is "$(count_rows clients "branch = '$BR' and name = 'keyed create'")" 2 "now two rows"

# a keyed bulk
K2=$(key bulk)
bulk="[{\"branch\":\"$BR\",\"name\":\"keyed bulk 1\"},{\"branch\":\"$BR\",\"name\":\"keyed bulk 2\"}]"
json POST /api/clients "$bulk" -H "Idempotency-Key: $K2"
is_status 201 "a keyed bulk POST answers 201"
first=$BODY
json POST /api/clients "$bulk" -H "Idempotency-Key: $K2"
is "$STATUS/$(header Idempotent-Replay)" "201/true" "the repeated bulk is a replay"
is "$BODY" "$first" "the repeated bulk answers the first body"
is "$(count_rows clients "branch = '$BR' and name like 'keyed bulk %'")" 2 "two rows, not four"

# ---- PUT
sample clients "$BR" '{"name":"keyed update","phone":"1"}'
create clients "$SAMPLE"
id=$ID
K3=$(key put)
put="{\"id\":\"$id\",\"version\":1,\"phone\":\"2\"}"
json PUT /api/clients "$put" -H "Idempotency-Key: $K3"
is_status 200 "keyed PUT of version 1 answers 200"
first=$BODY
json PUT /api/clients "$put" -H "Idempotency-Key: $K3"
is_status 200 "the repeat answers the first 200, not a 409"
is "$BODY" "$first" "the repeat answers the first body"
is "$(header Idempotent-Replay)" true "the repeat carries Idempotent-Replay: true"
is "$(sql "select version from clients where id = '$id'")" 2 "the update was applied once"
json PUT /api/clients "$put" -H "Idempotency-Key: $(key put2)"
is_error 409 version_conflict "" "the same PUT under a new key is a 409 (the replay was not luck)"
json PUT /api/clients "{\"id\":\"$id\",\"version\":1,\"phone\":\"3\"}" -H "Idempotency-Key: $K3"
is_error 422 idempotency_key_reused "" "the PUT key with another body is 422"
is "$(sql "select version || ' ' || phone from clients where id = '$id'")" "2 2" "the row is as the first PUT left it"

# an If-Match PUT replays too
K4=$(key ifmatch)
json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"4\"}" -H 'If-Match: "2"' -H "Idempotency-Key: $K4"
is_status 200 "keyed If-Match PUT answers 200"
json PUT /api/clients "{\"id\":\"$id\",\"phone\":\"4\"}" -H 'If-Match: "2"' -H "Idempotency-Key: $K4"
is "$STATUS/$(header Idempotent-Replay)" "200/true" "its repeat is a 200 replay"
is "$(sql "select version from clients where id = '$id'")" 3 "applied once"

# ---- DELETE
K5=$(key delete)
api DELETE "/api/clients?id=$id" -H "Idempotency-Key: $K5"
is_status 204 "keyed DELETE answers 204"
api DELETE "/api/clients?id=$id" -H "Idempotency-Key: $K5"
is_status 204 "the repeat answers 204, not 404"
is "$(header Idempotent-Replay)" true "the repeat carries Idempotent-Replay: true"
api DELETE "/api/clients?id=$id"
is_error 404 not_found "" "an unkeyed DELETE of it is 404"
sample clients "$BR" '{"name":"other delete"}'
create clients "$SAMPLE"
other=$ID
api DELETE "/api/clients?id=$other" -H "Idempotency-Key: $K5"
is_error 422 idempotency_key_reused "" "the DELETE key for another id is 422"
is "$(count_rows clients "id = '$other'")" 1 "the other row is not deleted"

# ---- a refused request does not use up its key (nothing of it is written)
K7=$(key refused)
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"keyed refusal\",\"status\":\"vip\"}" -H "Idempotency-Key: $K7"
is_error 422 invalid_value status "a keyed POST with a bad status is 422"
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"keyed refusal\"}" -H "Idempotency-Key: $K7"
is_status 201 "the corrected POST under the same key is applied (201)"
is "$(count_rows clients "branch = '$BR' and name = 'keyed refusal'")" 1 "one row"

# ---- key length
long=$(key long)
long=$long$(printf 'k%.0s' $(seq $((200 - ${#long}))))   # unique to this run, 200 characters
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"key of 200\"}" -H "Idempotency-Key: $long"
is_status 201 "a key of 200 characters is accepted"
before=$(branch_rows clients "$BR")
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"key of 201\"}" -H "Idempotency-Key: ${long}k"
is_error '400|422' '.*' "" "a key of 201 characters is refused"
is "$(branch_rows clients "$BR")" "$before" "nothing was written with the long key"
# Found by fuzzing: a key PostgreSQL's text cannot hold is the client's error, named, up front.
json POST /api/clients "{\"branch\":\"$BR\",\"name\":\"key not UTF-8\"}" -H $'Idempotency-Key: k\xff\xfe'
is_error 400 invalid_parameter Idempotency-Key "a key that is not UTF-8 is a 400 naming the header"
is "$(branch_rows clients "$BR")" "$before" "nothing was written with that key"

# ---- every resource: a keyed POST replays
for res in $RESOURCES; do
	t=$(table "$res")
	sample "$res" "$BR" "{\"${LABEL_FIELD[$res]}\":\"keyed $res\"}"
	k=$(key "$res")
	json POST "/api/$res" "$SAMPLE" -H "Idempotency-Key: $k"
	is_status 201 "$res: a keyed POST answers 201"
	first="$STATUS $BODY"
	json POST "/api/$res" "$SAMPLE" -H "Idempotency-Key: $k"
	is "$STATUS $BODY" "$first" "$res: a keyed POST repeated answers the same status and body"
	is "$(header Idempotent-Replay)/$(count_rows "$t" "branch = '$BR' and ${LABEL_FIELD[$res]} = 'keyed $res'")" \
		"true/1" "$res: the repeat is a replay and there is one row"
done

# ---- concurrent repeats of one key create one row
K6=$(key race)
dir=$(mktemp -d)
for i in 1 2 3 4 5 6; do
	curl -s -o "$dir/$i.body" -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
		-H "Idempotency-Key: $K6" -H "$(auth_header)" --max-time 10 \
		--data-binary "{\"branch\":\"$BR\",\"name\":\"raced key\"}" "$FIELDSYNC_URL/api/clients" >"$dir/$i.code" &
done
wait
is "$(count_rows clients "branch = '$BR' and name = 'raced key'")" 1 "6 concurrent POSTs with one key write one row"
ids=$(cat "$dir"/*.body | jq -r 'select(.id) | .id' | sort -u | grep -c .)
codes=$(cat "$dir"/*.code | sort -u | tr '\n' ' ')
is "$ids" 1 "every 201 among them answers the same id (codes: $codes)"
rm -rf "$dir"

done_testing
