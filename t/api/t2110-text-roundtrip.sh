#!/bin/bash
# Text and JSON values come back exactly as sent: escapes, non-ASCII, long strings, nested jsonb.
# A list holds each row byte for byte as GET ?id= answers it (PostgreSQL's row_to_json makes
# the one, the worker the other from the columns' text: lib/fs_rowjson.c).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)

# roundtrip RES FIELD JSON-VALUE DESCRIPTION: POST a sample with FIELD set to JSON-VALUE; the
# answer, a GET and the database all hold exactly that value.
roundtrip() {
	local res=$1 field=$2 value=$3 d=$4 id
	sample "$res" "$BR"
	json POST "/api/$res" "$(jq -c --arg f "$field" --argjson v "$value" '.[$f] = $v' <<<"$SAMPLE")"
	if [ "$STATUS" != 201 ]; then
		is_status 201 "$res: $d is accepted"
		return
	fi
	id=$(jqb .id)
	ok_jq '.[$f] == $v' "$res: $d is echoed exactly" --arg f "$field" --argjson v "$value"
	api GET "/api/$res?id=$id"
	ok_jq '.[$f] == $v' "$res: $d reads back exactly" --arg f "$field" --argjson v "$value"
	local one=$BODY
	api GET "/api/$res?branch=$BR&limit=10000"
	[[ $BODY == *"$one"* ]]
	ok $? "$res: $d: the list holds the row byte for byte as GET answers it" ||
		diag "GET: ${one:0:1000}" "list: ${BODY:0:2000}"
}

roundtrip clients name '"Zoë \"Q\" O'"'"'Brien \\ back/slash"' "quotes, apostrophe, backslash, slash"
roundtrip clients name '"line one\nline two\ttabbed\r"' "newline, tab and carriage return"
roundtrip clients name '"\u00e9\u00e8 \ud83d\ude9a \u65e5\u672c \u0627\u0644\u0639\u0631\u0628\u064a\u0629"' "escaped non-ASCII, an emoji pair, CJK, Arabic"
roundtrip clients name '"🚚 Ünïcödé raw"' "raw UTF-8"
roundtrip clients name '"\u0001\u001f control"' "control characters"
roundtrip clients name '"  padded  "' "leading and trailing spaces"
roundtrip clients notes "\"$(head -c 8000 /dev/zero | tr '\0' 'n')\"" "an 8000-character notes"
roundtrip distributors agreement_data '{"tier":"gold","rates":[1,2.5,-3e2],"ok":true,"none":null,"nested":{"k":"ü"}}' "nested agreement_data"
roundtrip campaigns details '{}' "an empty details object"
roundtrip campaigns budget '1234567890.12' "budget 1234567890.12"
roundtrip visits latitude '-33.924868' "latitude -33.924868"
roundtrip stock-requests items '[{"sku":"S-1","name":"Ünï","quantity":2.5,"note":"extra keys kept"}]' "items with an extra key"

# Every resource's sample (its dates, timestamps, numbers, JSON fields): the list's row is GET's.
for res in $RESOURCES; do
	sample "$res" "$BR"
	json POST "/api/$res" "$SAMPLE"
	id=$(jqb .id)
	api GET "/api/$res?id=$id"
	one=$BODY
	api GET "/api/$res?branch=$BR&limit=10000"
	[[ -n $id && $BODY == *"$one"* ]]
	ok $? "$res: a full sample's row in the list is byte for byte GET's" ||
		diag "GET: ${one:0:1000}" "list: ${BODY:0:2000}"
done

done_testing
