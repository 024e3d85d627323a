#!/bin/bash
# POST with a client-supplied id that exists: same content is an idempotent replay (201, the
# stored row, nothing written); different content is 409 duplicate_id.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)

for res in $RESOURCES; do
	t=$(table "$res")
	label=${LABEL_FIELD[$res]}
	id=$(uuid)
	sample "$res" "$BR" "{\"id\":\"$id\",\"$label\":\"replayed row\"}"
	body=$SAMPLE

	json POST "/api/$res" "$body"
	is_status 201 "$res: first POST with a client id answers 201"
	first=$BODY

	json POST "/api/$res" "$body"
	is_status 201 "$res: the same POST again answers 201"
	ok_jq '. == $f' "$res: the replay answers the stored row unchanged (same version, timestamps)" \
		--argjson f "${first:-null}"
	is "$(count_rows "$t" "id = '$id'")/$(count_rows "$t" "id = '$id' and version = 1")" "1/1" \
		"$res: one row in the database, still version 1"

	# the same content with the keys in another order is the same content
	reordered=$(jq -c 'to_entries | reverse | from_entries' <<<"$body")
	json POST "/api/$res" "$reordered"
	is_status 201 "$res: the same content with keys in another order is a replay too"

	changed=$(jq -c --arg l "$label" '.[$l] = "something else"' <<<"$body")
	json POST "/api/$res" "$changed"
	is_error 409 duplicate_id "" "$res: the same id with different content is 409 duplicate_id"
	is "$(count_rows "$t" "id = '$id' and $label = 'replayed row' and version = 1")" 1 \
		"$res: the stored row is untouched"

	# the same id under another branch is different content too
	moved=$(jq -c --arg b "$BR-x" '.branch = $b' <<<"$body")
	json POST "/api/$res" "$moved"
	is_error 409 duplicate_id "" "$res: the same id in another branch is 409 duplicate_id"
done

# bulk: a replayed batch answers the stored rows and writes nothing
i1=$(uuid) i2=$(uuid)
sample clients "$BR" "{\"id\":\"$i1\",\"name\":\"bulk replay 1\"}"
r1=$SAMPLE
sample clients "$BR" "{\"id\":\"$i2\",\"name\":\"bulk replay 2\"}"
json POST /api/clients "[$r1,$SAMPLE]"
is_status 201 "clients: a batch with client ids answers 201"
first=$BODY
json POST /api/clients "[$r1,$SAMPLE]"
is_status 201 "clients: the same batch again answers 201"
ok_jq '. == $f' "clients: the replayed batch answers the stored rows" --argjson f "${first:-null}"
is "$(count_rows clients "id in ('$i1', '$i2')")" 2 "clients: still two rows"

# a batch mixing a replay and a new row: the replay is no error, the new row is written
i3=$(uuid)
sample clients "$BR" "{\"id\":\"$i3\",\"name\":\"bulk replay 3\"}"
json POST /api/clients "[$r1,$SAMPLE]"
is_status 201 "clients: a batch of a replayed row and a new row answers 201"
is_jq 'map(.id) | join(" ")' "$i1 $i3" "clients: both rows answered, in order"
is "$(count_rows clients "id in ('$i1', '$i2', '$i3')")" 3 "clients: only the new row was written"

# concurrent POSTs of one new client id with the same content: one row, every answer 201
# (five rounds of six, since a race shows only now and then)
dir=$(mktemp -d)
ids=
for round in 1 2 3 4 5; do
	cid=$(uuid)
	ids="$ids${ids:+, }'$cid'"
	body="{\"id\":\"$cid\",\"branch\":\"$BR\",\"name\":\"raced id\"}"
	for i in 1 2 3 4 5 6; do
		curl -s -o "$dir/$round.$i.body" -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
			-H "$(auth_header)" --max-time 10 --data-binary "$body" "$FIELDSYNC_URL/api/clients" \
			>"$dir/$round.$i.code" &
	done
	wait
done
is "$(cat "$dir"/*.code | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')" "201 x30 " \
	"5 x 6 concurrent POSTs of one id and content all answer 201"
errors=$(cat "$dir"/*.body | jq -c 'select(.error)' 2>/dev/null | sort | uniq -c)
[ -z "$errors" ] || diag "errors among them: $errors"
is "$(count_rows clients "id in ($ids)")" 5 "... and there is one row per id"
rm -rf "$dir"

# after an update the old content no longer matches the stored row
sample clients "$BR" "{\"id\":\"$(uuid)\",\"name\":\"updated later\"}"
orig=$SAMPLE
create clients "$orig"
json PUT /api/clients "{\"id\":\"$ID\",\"name\":\"renamed\"}"
json POST /api/clients "$orig"
is_error 409 duplicate_id "" "clients: replaying the create after an update is 409 duplicate_id"

done_testing
