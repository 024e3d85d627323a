#!/bin/bash
# One event to hundreds of streams: from 64 live streams on, the relay shares the writes of
# a delivery with its delivery threads (relay/pool.h), each stream written by one of them.
# A private relay with 2 threads, and one with 1, each: 300 streams of a rep over its TCP
# address (the direct path, one send a stream) while 20 clients are POSTed through the API;
# the fan-out meter (bench/fanout-meter) fails unless every stream has every event once and
# in order. A rep of another branch, streaming beside them, gets none of those events, and
# does get its own branch's.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
METER=$FIELDSYNC_TOP/bench/fanout-meter
[ -x "$METER" ] || bail_out "bench/fanout-meter is not built (make)"
STREAMS=300 EVENTS=20

A=$(new_branch) B=$(new_branch)
declare -A LOGIN TOK
sign_in rep rep "$A"
sign_in other rep "$B"
REP=${TOK[rep]} OTHER=${TOK[other]}
ulimit -n "$(ulimit -Hn)"

# many THREADS: a private relay with THREADS delivery threads, polling the change log
# every 20 ms (it does not get the workers' messages), then the meter against its TCP address.
many() {
	local port
	port=$(free_port)
	private_relay "many$1" "listen = unix:$RT_TMP/many$1.sock 127.0.0.1:$port" "delivery_threads = $1" \
		"poll_interval = 20" "max_streams_per_address = 1000" "max_streams_per_user = 1000" ||
		return 1
	like "$(grep 'listening on' "$RT_TMP/many$1.log")" "$1 delivery threads" "$1 threads: the relay says so"
	API_TOKEN=$OTHER pr_subscribe "other$1" "types=clients:create"
	wait_ready "other$1" || diag "no ready event on the other branch's stream"
	"$METER" --connect "127.0.0.1:$port" --path "/events?types=clients:create&branch=$A" \
		--header "Accept: text/event-stream" --header "Authorization: Bearer $REP" \
		--subscribers "$STREAMS" --events "$EVENTS" --pause 20 --timeout 20 \
		--publish "${FIELDSYNC_URL#http://}" --publish-path /api/clients \
		--publish-header "Content-Type: application/json" \
		--publish-header "Authorization: Bearer $REP" \
		--publish-body "{\"branch\":\"$A\",\"name\":\"Many $1 @I@\"}" >"$RT_TMP/meter$1.out" 2>"$RT_TMP/meter$1.err"
	ok $? "$1 threads: $STREAMS streams, $EVENTS events: each stream has every event once, in order" ||
		diag "$(cat "$RT_TMP/meter$1.err")"
	read -r _ _ delivered expected _ <"$RT_TMP/meter$1.out"
	is "${delivered:-}/${expected:-}" "$((STREAMS * EVENTS))/$((STREAMS * EVENTS))" "$1 threads: every delivery counted"
	id=$(insert_client "$B" "Other $1")
	ok "$(wait_until 10 has_event "other$1" clients:create "$id"; echo $?)" \
		"$1 threads: the other branch's rep has its own branch's event"
	is "$(count_events "other$1" clients:create "Many $1 ")" 0 "$1 threads: ... and none of the $STREAMS streams' events"
	unsubscribe "other$1"
	kill "$PR_PID"
}

many 2
many 1
done_testing
