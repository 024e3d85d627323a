#!/bin/bash
# No client can take every stream: [relay] max_streams_per_address and max_streams_per_user.
# One stream more is a 429 too_many_streams JSON answer with Retry-After; only open streams
# count, so a closed one frees its slot. The address is nginx's X-Real-IP on the relay's
# unix socket (where nginx is the client), and the peer address on TCP, where a header the
# client sends is never believed.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
A=$(new_branch)
sign_in one rep "$A"
sign_in two rep "$A"
ONE=${TOK[one]} TWO=${TOK[two]}

private_relay lim "max_streams_per_address = 2" "max_streams_per_user = 3" || bail_out "no private relay"

# open_stream NAME TOKEN ADDR: a stream of TOKEN's user on the private relay, nginx saying ADDR.
open_stream() { API_TOKEN=$2 pr_subscribe "$1" "" -H "X-Real-IP: $3"; wait_ready "$1"; }
# refused NAME TOKEN ADDR: one more is refused; its answer is in $RT_TMP/NAME.sse and the
# headers in $RT_TMP/NAME.head.
refused() {
	curl -s --max-time 5 --unix-socket "$PR_SOCK" -D "$RT_TMP/$1.head" -o "$RT_TMP/$1.sse" \
		-w '%{http_code}' -H "$(auth_header "$2")" -H "X-Real-IP: $3" http://relay/events
}
clients() { pr_health | jq -r .clients; }

# ---- per address
open_stream a1 "$ONE" 192.0.2.1 && open_stream a2 "$TWO" 192.0.2.1
ok $? "two streams from one address (two users) open"
is "$(refused a3 "$ONE" 192.0.2.1)" 429 "a third from that address is 429"
is "$(jq -r '"\(.error.status),\(.error.code)"' "$RT_TMP/a3.sse" 2>/dev/null)" "429,too_many_streams" \
	"... too_many_streams, as JSON ($(jq -r .error.message "$RT_TMP/a3.sse" 2>/dev/null))"
like "$(grep -i '^Retry-After:' "$RT_TMP/a3.head" | tr -d '\r')" '^Retry-After: [0-9]+$' "... with Retry-After"
like "$(grep -i '^Content-Type:' "$RT_TMP/a3.head" | tr -d '\r')" 'application/json' "... not a stream"
open_stream b1 "$ONE" 192.0.2.2
ok $? "another address is not held back by the first one's streams"

# ---- per user: ONE has a1 and b1 open; a third address, a third stream of ONE is its limit
open_stream c1 "$ONE" 192.0.2.3
ok $? "a third stream of one user (from a third address) opens: its limit is 3"
is "$(refused c2 "$ONE" 192.0.2.4)" 429 "a fourth stream of that user, from a fresh address, is 429"
like "$(jq -r .error.message "$RT_TMP/c2.sse" 2>/dev/null)" 'user' "... for the user ($(jq -r .error.message "$RT_TMP/c2.sse" 2>/dev/null))"
open_stream d1 "$TWO" 192.0.2.4
ok $? "... while another user still opens one from that address"

# ---- a closed stream frees its slot
n=$(clients)
unsubscribe a1
fewer() { [ "$(clients)" -lt "$n" ]; }
ok "$(wait_until 5 fewer; echo $?)" "a stream closed by its client leaves the relay's count ($(clients))"
open_stream a4 "$ONE" 192.0.2.1
ok $? "... and its address and its user may open another at once"
is "$(refused a5 "$TWO" 192.0.2.1)" 429 "... up to the limit again"

# ---- on TCP the header is not believed: the address is the peer (127.0.0.1)
port=$(free_port)
PR_NOWAIT=1 private_relay tcp "max_streams_per_address = 2" "listen = 127.0.0.1:$port"
tcp_healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/events/health")" = 200 ]; }
wait_until 10 tcp_healthy || bail_out "the TCP relay did not come up: $(cat "$RT_TMP/tcp.log")"
API_TOKEN=$ONE subscribe t1 "http://127.0.0.1:$port/events" -H "X-Real-IP: 198.51.100.1"
API_TOKEN=$TWO subscribe t2 "http://127.0.0.1:$port/events" -H "X-Real-IP: 198.51.100.2"
{ wait_ready t1 && wait_ready t2; }
ok $? "two TCP streams that claim two addresses open"
code=$(curl -s --max-time 5 -o "$RT_TMP/t3.sse" -w '%{http_code}' -H "$(auth_header "$TWO")" \
	-H "X-Real-IP: 198.51.100.3" "http://127.0.0.1:$port/events")
is "$code" 429 "a third claiming yet another is 429: on TCP the peer address counts, not X-Real-IP"

# ---- through nginx, on the stack's relay (the defaults: 16 streams a user)
limit=$(awk -F' *= *' '$1 == "max_streams_per_user" { v = $2 } END { print v }' "$FIELDSYNC_STACK_CONF")
for i in $(seq 1 "${limit:-16}"); do API_TOKEN=$ONE subscribe "n$i" "$FIELDSYNC_URL/events"; done
all_ready() { for i in $(seq 1 "${limit:-16}"); do has_event "n$i" ready || return 1; done; }
ok "$(wait_until 10 all_ready; echo $?)" "through nginx, one user opens its $limit streams"
code=$(curl -s --max-time 5 -o "$RT_TMP/n.json" -w '%{http_code}' -H "$(auth_header "$ONE")" "$FIELDSYNC_URL/events")
is "$code,$(jq -r .error.code "$RT_TMP/n.json" 2>/dev/null)" "429,too_many_streams" "... and one more is 429 too_many_streams"

done_testing
