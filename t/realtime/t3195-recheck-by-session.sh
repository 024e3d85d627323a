#!/bin/bash
# An auth change is checked once per session, not once per stream: a user's streams that
# share a session share its lookup. 1,100 streams of one session (more than the 1,024
# lookups the relay once queued at once) and 3 of a second stay open when a third session of the
# same user logs out, and still get events; that session's own stream, opened first and so
# looked up last, is revoked (logout), which shows the lookups have answered. Then a
# membership removed ends every one of the 1,103 with rights_changed.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
MANY=1100 FEW=3
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((2 * (MANY + FEW) + 100)) ] || bail_out "needs $((2 * (MANY + FEW) + 100)) open files"

branch=$(new_branch)
user=$(new_login)
add_user "$user" "$AUTH_HASH" rep "$branch" >/dev/null || bail_out "cannot add $user"
for k in many few gone; do
	login "$user" "$AUTH_PW"
	[ -n "$TOKEN" ] || bail_out "sign-in failed: $STATUS $BODY"
	declare "TOKEN_$k=$TOKEN"
done

port=$(free_port)
private_relay recheck "listen = unix:$RT_TMP/recheck.sock 127.0.0.1:$port" "poll_interval = 20" \
	"max_streams_per_address = 2000" "max_streams_per_user = 2000" ||
	bail_out "the private relay did not start"

# Holds the streams: the "gone" session's first (index 0), then MANY and FEW. Answers one
# line to each command on stdin: "ended I" (waits for stream I's end; its text), "open"
# (how many have not ended), "all TEXT" (waits until every open one has read TEXT; how many
# did), "closed TEXT" (waits until every one has ended; how many had read TEXT).
cat >"$RT_TMP/hold.py" <<'PY'
import sys
from streams import connect, pump, until, got, ended

port, tokens = int(sys.argv[1]), sys.argv[2:]
# Opened 100 at a time: each opening is a session lookup of its own, in the same queue.
for i, t in enumerate(tokens):
    connect(port, t)
    if (i + 1) % 100 == 0 or i + 1 == len(tokens):
        until(lambda: all(e or b"event: ready" in g for g, e in zip(got, ended)), 20)
print("ready %d" % sum(b"event: ready" in g and not e for g, e in zip(got, ended)), flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "ended":
        until(lambda: ended[int(arg)])
        print("%s %s" % ("ended" if ended[int(arg)] else "open", got[int(arg)].decode(errors="replace").replace("\n", "|")[-200:]), flush=True)
    elif cmd == "open":
        pump(0)
        print(sum(not e for e in ended), flush=True)
    elif cmd == "all":
        until(lambda: all(e or arg.encode() in g for g, e in zip(got, ended)))
        print(sum(arg.encode() in g for g, e in zip(got, ended) if not e), flush=True)
    elif cmd == "closed":
        until(lambda: all(ended))
        print(sum(arg.encode() in g for g, e in zip(got, ended) if e), flush=True)
PY
tokens=("$TOKEN_gone")
for ((i = 0; i < MANY; i++)); do tokens+=("$TOKEN_many"); done
for ((i = 0; i < FEW; i++)); do tokens+=("$TOKEN_few"); done
holder "$RT_TMP/hold.py" "$port" "${tokens[@]}"
hear
is "$ANSWER" "ready $((MANY + FEW + 1))" "$((MANY + FEW + 1)) streams of one user, three sessions, are open" ||
	bail_out "the streams did not open: $(tail -n 3 "$RT_TMP/recheck.log")"

api DELETE /api/session -H "Authorization: Bearer $TOKEN_gone"
is "$STATUS" 204 "the third session logs out"
ask ended 0
like "$ANSWER" '^ended .*event: revoked.data: [{]"reason":"logout"[}]' "its stream, looked up last, is revoked (logout)"
ask open
is "$ANSWER" $((MANY + FEW)) "the $MANY streams of one session and the $FEW of another all stay open"
ok "$(grep -c 'too many lookups' "$RT_TMP/recheck.log")" "the relay ended no stream for want of lookups"

id=$(insert_client "$branch" "After the logout")
ask all "$id"
is "$ANSWER" $((MANY + FEW)) "every one of them still gets the branch's events"

sql "delete from memberships where user_id = (select id from users where login = '$user')" >/dev/null
ask closed '"reason":"rights_changed"'
is "$ANSWER" $((MANY + FEW)) "a membership removed: all $((MANY + FEW)) end with 'revoked' (rights_changed)"

kill "$HOLDER_PID" "$PR_PID"
done_testing
