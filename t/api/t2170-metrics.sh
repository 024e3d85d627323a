#!/bin/bash
# GET /api/metrics (every pool's counters) and the relay's GET /events/metrics, in
# Prometheus' text format, only for the addresses of [metrics] allow (loopback here): a
# request and a write show up in them, another address gets 403, and they take only GET.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../realtime/lib-realtime.sh
. "$(dirname "$0")/../realtime/lib-realtime.sh"

require_relay
branch=$(new_branch)

metrics() { curl -s --max-time 5 "$FIELDSYNC_URL$1"; }
# sample TEXT NAME: the value of the sample NAME (with its labels) in TEXT, 0 when absent.
sample() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' <<<"$1"; }

before=$(metrics /api/metrics)
api GET "/api/clients?limit=1"
json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"Counted\"}"
[ "$STATUS" = 201 ] || bail_out "POST /api/clients: $STATUS $BODY"
after=$(metrics /api/metrics)
like "$(head -n 1 <<<"$after")" '^# HELP fieldsync_requests_total ' "/api/metrics is Prometheus text"
ok "$(($(sample "$after" 'fieldsync_requests_total{resource="clients",status="200"}') > $(sample "$before" 'fieldsync_requests_total{resource="clients",status="200"}') ? 0 : 1))" \
	"a GET shows in the requests by resource and status"
ok "$(($(sample "$after" 'fieldsync_requests_total{resource="clients",status="201"}') > $(sample "$before" 'fieldsync_requests_total{resource="clients",status="201"}') ? 0 : 1))" \
	"... and a POST"
ok "$(($(sample "$after" 'fieldsync_request_duration_seconds_count{resource="clients"}') >= $(sample "$before" 'fieldsync_request_duration_seconds_count{resource="clients"}') + 2 ? 0 : 1))" \
	"... in the latency histogram too"
is "$(sample "$after" 'fieldsync_request_duration_seconds_bucket{resource="clients",le="+Inf"}')" \
	"$(sample "$after" 'fieldsync_request_duration_seconds_count{resource="clients"}')" "... whose +Inf bucket holds every answer"
ok "$(($(sample "$after" 'fieldsync_events_published_total{resource="clients"}') > $(sample "$before" 'fieldsync_events_published_total{resource="clients"}') ? 0 : 1))" \
	"the POST's event is counted as published"
like "$after" 'fieldsync_database_errors_total\{resource="visits"\} [0-9]+' "database errors, per resource"
is "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$FIELDSYNC_URL/api/metrics")" \
	"200 text/plain; version=0.0.4; charset=utf-8" "... served as Prometheus' text format"

# The relay: an open stream gets the next event, and the counters say so.
subscribe s "$FIELDSYNC_URL/events?types=clients:*"
wait_ready s || bail_out "no ready event"
rbefore=$(metrics /events/metrics)
json POST /api/clients "{\"branch\":\"$branch\",\"name\":\"Delivered\"}"
id=$(jq -r .id <<<"$BODY")
wait_until 5 has_event s clients:create "$id" || diag "the stream did not get the event"
rafter=$(metrics /events/metrics)
ok "$(($(sample "$rafter" fieldsync_relay_streams) >= 1 ? 0 : 1))" "/events/metrics counts the open stream"
ok "$(($(sample "$rafter" fieldsync_relay_events_delivered_total) > $(sample "$rbefore" fieldsync_relay_events_delivered_total) ? 0 : 1))" \
	"... and the event delivered to it"
ok "$(($(sample "$rafter" fieldsync_relay_events_total) > $(sample "$rbefore" fieldsync_relay_events_total) ? 0 : 1))" \
	"... and taken from the change log"
like "$rafter" 'fieldsync_relay_ring_bytes [0-9]+' "... and the ring's size"

# Elsewhere: 403, as JSON; and only GET.
for path in /api/metrics /events/metrics; do
	other=$(curl -s --interface "$(any_addr)" -w ' %{http_code}' "$FIELDSYNC_URL$path")
	like "$other" '"code":"forbidden".* 403$' "$path from an address [metrics] allow does not list: 403"
done
API_TOKEN=none api POST /api/metrics
is "$STATUS $(jq -r .error.code <<<"$BODY")" "405 method_not_allowed" "POST /api/metrics is 405"

done_testing
