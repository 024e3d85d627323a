#!/bin/bash
# POST of an array: 201 and the rows in order, all in one transaction; one bad row fails the
# whole batch and the error names its index; [] is refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)

# batch RES N [BAD-INDEX BAD-OVERRIDES]: sets BATCH to an array of N sample rows labelled
# "bulk 0".."bulk N-1"; row BAD-INDEX gets BAD-OVERRIDES merged in (null keys are removed).
batch() {
	local res=$1 n=$2 bad=${3:--1} badover=${4:-'{}'} i over rows=
	for i in $(seq 0 $((n - 1))); do
		over="{\"${LABEL_FIELD[$res]}\":\"bulk $i\"}"
		[ "$i" = "$bad" ] && over=$(jq -cn --argjson a "$over" --argjson b "$badover" '$a + $b')
		sample "$res" "$BR" "$over"
		rows="$rows${rows:+,}$SAMPLE"
	done
	BATCH="[$rows]"
}

for res in $RESOURCES; do
	t=$(table "$res")
	label=${LABEL_FIELD[$res]}
	batch "$res" 1   # makes the parents first, so the counts below see only batch rows
	before=$(branch_rows "$res" "$BR")

	batch "$res" 3
	json POST "/api/$res" "$BATCH"
	is_status 201 "$res: POST of an array of 3 answers 201"
	is_jq "if type == \"array\" then map(.$label) | join(\",\") else \"not an array\" end" \
		"bulk 0,bulk 1,bulk 2" "$res: the answer is the array, in the order sent"
	ok_jq 'all(.[]; .version == 1 and (.id | test("^[0-9a-f-]{36}$")))' "$res: every row has an id and version 1"
	ok_jq 'map(.id) | unique | length == 3' "$res: three distinct ids"
	is "$(count_rows "$t" "branch = '$BR' and $label like 'bulk %'")" 3 "$res: the 3 rows are in the database"

	# one row without a required field, at index 2
	first=${REQUIRED[$res]%% *}
	before=$(branch_rows "$res" "$BR")
	batch "$res" 4 2 "{\"$first\":null}"
	json POST "/api/$res" "$BATCH"
	ERR_INDEX=2 is_error 422 missing_field "$first" "$res: a batch missing $first at index 2 is 422 with index 2"
	is "$(branch_rows "$res" "$BR")" "$before" "$res: none of that batch is in the database"

	# one row with a wrong type at index 2
	batch "$res" 4 2 "{\"$label\":17}"
	json POST "/api/$res" "$BATCH"
	ERR_INDEX=2 is_error 400 invalid_type "$label" "$res: a batch with $label: 17 at index 2 is 400 with index 2"
	is "$(branch_rows "$res" "$BR")" "$before" "$res: none of that batch is in the database"

	json POST "/api/$res" '[]'
	is_error 400 empty_batch "" "$res: POST [] is 400 empty_batch"
	is "$(branch_rows "$res" "$BR")" "$before" "$res: nothing written for []"
done

# More ways one row can spoil a batch (clients and distributors).
before=$(branch_rows clients "$BR")
batch clients 4 2 '{"status":"vip"}'
json POST /api/clients "$BATCH"
ERR_INDEX=2 is_error 422 invalid_value status "clients: a bad status at index 2 is 422 invalid_value, index 2"
batch clients 4 2 "{\"distributor_id\":\"$(uuid)\"}"
json POST /api/clients "$BATCH"
ERR_INDEX=2 is_error 422 unknown_reference distributor_id "clients: an unknown distributor at index 2 is 422 unknown_reference, index 2"
batch clients 4 3 '{"colour":"red"}'
json POST /api/clients "$BATCH"
ERR_INDEX=3 is_error 400 unknown_field colour "clients: an unknown field at index 3 is 400 unknown_field, index 3"
batch clients 2
json POST /api/clients "[${BATCH:1:${#BATCH}-2},42]"
ERR_INDEX=2 is_error 400 invalid_type "" "clients: a number as element 2 is 400 invalid_type, index 2"
batch clients 3 1 '{"distributor_id":"not-a-uuid"}'
json POST /api/clients "$BATCH"
ERR_INDEX=1 is_error 400 invalid_format distributor_id "clients: a bad uuid at index 1 is 400 invalid_format, index 1"
is "$(branch_rows clients "$BR")" "$before" "clients: none of the spoiled batches wrote a row"

before=$(branch_rows distributors "$BR")
code="B-$(uniq_token)"
batch distributors 3 0 "{\"code\":\"$code\"}"
b0=$BATCH
batch distributors 3 2 "{\"code\":\"$code\"}"
json POST /api/distributors "[${b0:1:${#b0}-2},${BATCH:1:${#BATCH}-2}]"
ERR_INDEX=5 is_error 409 duplicate_value code "distributors: a code repeated within the batch is 409 duplicate_value, index 5"
is "$(branch_rows distributors "$BR")" "$before" "distributors: nothing of that batch is written"

# a duplicate of an existing id (different content) at index 1: 409, nothing written
sample clients "$BR" '{"name":"existing"}'
create clients "$SAMPLE"
existing=$ID
before=$(branch_rows clients "$BR")
batch clients 3 1 "{\"id\":\"$existing\"}"
json POST /api/clients "$BATCH"
ERR_INDEX=1 is_error 409 duplicate_id "" "clients: an existing id with other content at index 1 is 409 duplicate_id"
is "$(branch_rows clients "$BR")" "$before" "clients: nothing of that batch is written"

# client-supplied ids in a batch are kept
i1=$(uuid) i2=$(uuid)
sample clients "$BR" "{\"id\":\"$i1\",\"name\":\"own 1\"}"
r1=$SAMPLE
sample clients "$BR" "{\"id\":\"$i2\",\"name\":\"own 2\"}"
json POST /api/clients "[$r1,$SAMPLE]"
is_status 201 "clients: a batch with client ids answers 201"
is_jq 'map(.id) | join(" ")' "$i1 $i2" "clients: the client ids are kept, in order"

# One batch of every kind of row: a server-made id, a new client id, that id again with the
# same content, a row that exists with the same content: 201, each answered in order.
ik=$(uuid)
sample clients "$BR" "{\"id\":\"$ik\",\"name\":\"kept\"}"
kept=$SAMPLE
create clients "$kept"
stored=$ROW
i3=$(uuid)
sample clients "$BR" "{\"id\":\"$i3\",\"name\":\"sent twice\"}"
r3=$SAMPLE
sample clients "$BR" '{"name":"server id"}'
json POST /api/clients "[$SAMPLE,$r3,$r3,$kept]"
is_status 201 "clients: a batch of a new row, a new id twice and an existing row answers 201"
is_jq 'map(.name) | join(",")' "server id,sent twice,sent twice,kept" "... every row answered, in order"
is_jq ".[1] == .[2] and .[3] == $stored" true "... the repeated id as created, the existing row as stored"
is "$(count_rows clients "id = '$i3'")" 1 "clients: the id sent twice is one row"
json POST /api/clients "[$r3,$(jq -c '.name = "other"' <<<"$r3")]"
ERR_INDEX=1 is_error 409 duplicate_id "" "clients: a sent id with other content at index 1 is 409, index 1"

# The same batch of client ids posted four times at once: every answer 201, each row once (a
# batch that meets a concurrent insert of its ids goes row by row, which sees it).
dir=$(mktemp -d)
rows=$(jq -cn --arg b "$BR" --arg a "$(uuid)" --arg c "$(uuid)" --arg d "$(uuid)" \
	'[$a, $c, $d] | map({id: ., branch: $b, name: "raced batch", status: "active"})')
for i in 1 2 3 4; do
	curl -s -o "$dir/$i.body" -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
		-H "$(auth_header)" --max-time 20 --data-binary "$rows" "$FIELDSYNC_URL/api/clients" >"$dir/$i.code" &
done
wait
is "$(cat "$dir"/*.code | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')" "201 x4 " \
	"clients: 4 concurrent POSTs of one batch of ids all answer 201"
is "$(count_rows clients "branch = '$BR' and name = 'raced batch'")" 3 "... and each row is there once"
rm -rf "$dir"

# a bulk of 500 rows in one request
rows=$(jq -cn --arg b "$BR" '[range(500) | {branch: $b, name: "many \(.)"}]')
json POST /api/clients "$rows"
is "$STATUS/$(jqb length)" "201/500" "clients: a batch of 500 answers 201 with 500 rows"
is "$(count_rows clients "branch = '$BR' and name like 'many %'")" 500 "clients: the 500 rows are in the database"

# One row more than max_batch: refused whole, so no batch holds the change log's lock for long.
max=$(awk -F' *= *' '$1 == "max_batch" { v = $2 } END { print v }' "$FIELDSYNC_STACK_CONF")
max=${max:-1000}
rows=$(jq -cn --arg b "$BR" --argjson n $((max + 1)) '[range($n) | {branch: $b, name: "over \(.)"}]')
json POST /api/clients "$rows"
is_error 413 payload_too_large "" "clients: a batch of max_batch + 1 ($((max + 1))) rows is 413"
is "$(count_rows clients "branch = '$BR' and name like 'over %'")" 0 "clients: ... and none of it is written"
rows=$(jq -cn --arg b "$BR" --argjson n "$max" '[range($n) | {branch: $b, name: "full \(.)"}]')
json POST /api/clients "$rows"
is "$STATUS/$(jqb length)" "201/$max" "clients: a batch of exactly max_batch rows answers 201"

done_testing
