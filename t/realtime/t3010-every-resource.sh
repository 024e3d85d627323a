#!/bin/bash
# Every write through the API reaches a subscriber within a second: create, update and
# delete on each of the eight resources, each as one event of type <table>:<action> with the
# payload {seq, type, id, branch, data (the row; null for a delete), at}.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../api/lib-api.sh
. "$(dirname "$0")/../api/lib-api.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
LIMIT=1.0
branch=$(new_branch)

subscribe all "$FIELDSYNC_URL/events"
wait_ready all || bail_out "no ready event on GET /events"

# seen TYPE ID T0 WHAT JQ_CHECK: the event TYPE about row ID arrives within LIMIT seconds of
# T0 (one test point), and its payload passes JQ_CHECK (a second one).
seen() {
	local type=$1 id=$2 t0=$3 what=$4 check=$5 elapsed data
	if wait_until 5 has_event all "$type" "$id"; then
		elapsed=$(since "$t0")
		ok "$(at_most "$elapsed" "$LIMIT"; echo $?)" "$what: $type arrives in ${elapsed} s (at most $LIMIT)"
	else
		ok 1 "$what: $type arrives within 5 s"
		diag "last events: $(events all | tail -n 3 | cut -c1-200)"
		ok 1 "$what: $type payload"
		return
	fi
	data=$(event_data all "$type" "$id")
	if printf '%s' "$data" | jq -e --arg t "$type" --arg id "$id" --arg b "$branch" \
		".type == \$t and .id == \$id and .branch == \$b and (.seq | type == \"number\")
		 and (.at | type == \"string\") and ($check)" >/dev/null 2>&1; then
		ok 0 "$what: $type payload has seq, type, id, branch, at and the row"
	else
		ok 1 "$what: $type payload has seq, type, id, branch, at and the row"
		diag "payload: ${data:0:600}" "check: $check"
	fi
}

for res in $RESOURCES; do
	tbl=$(table "$res")
	label=${LABEL_FIELD[$res]}
	sample "$res" "$branch"
	want=$(jq -c ".$label" <<<"$SAMPLE")

	t0=$EPOCHREALTIME
	if ! create "$res" "$SAMPLE"; then
		for _ in 1 2 3 4 5 6; do ok 1 "$res: setup (POST) failed"; done
		continue
	fi
	seen "$tbl:create" "$ID" "$t0" "$res create" ".data.id == \$id and .data.$label == $want and .data.version == 1"

	field=${UPD_FIELD[$res]} value=${UPD_VALUE[$res]}
	t0=$EPOCHREALTIME
	json PUT "/api/$res" "{\"id\":\"$ID\",\"$field\":$value}"
	[ "$STATUS" = 200 ] || { diag "PUT /api/$res answered $STATUS"; show_last; }
	seen "$tbl:update" "$ID" "$t0" "$res update" ".data.$field == $value and .data.version == 2"

	t0=$EPOCHREALTIME
	api DELETE "/api/$res?id=$ID"
	[ "$STATUS" = 204 ] || { diag "DELETE /api/$res answered $STATUS"; show_last; }
	seen "$tbl:delete" "$ID" "$t0" "$res delete" ".data == null"
done

# Each event exactly once, and the stream's seqs rise.
dups=$(events all | awk -F '\t' '$2 != "ready" { print $1 }' | sort | uniq -d | wc -l)
is "$dups" 0 "no seq arrived twice"
ok "$(events all | awk -F '\t' '$2 != "ready" { print $1 }' | rising; echo $?)" "the seqs rise strictly"

done_testing
