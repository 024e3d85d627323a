#!/bin/bash
# Streams that open all at once wait their turn: after a restart every client reconnects
# within seconds, and each opening is one session lookup in the relay's queue. With the
# lookups held up (the sessions table locked), 1,500 streams opened at once all wait (the
# queue once took 1,024 and answered the rest 503 "busy"), none is answered before its
# session is known, and every one opens once the lock goes but those whose clients hung up
# meanwhile. The queue then empties.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
N=1500 GONE=500
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((2 * N + 100)) ] || bail_out "needs $((2 * N + 100)) open files"
trap 'release t3197-sessions; rt_cleanup' EXIT

branch=$(new_branch)
sign_in burst rep "$branch"

port=$(free_port)
private_relay burst "listen = unix:$RT_TMP/burst.sock 127.0.0.1:$port" \
	"max_streams_per_address = 2000" "max_streams_per_user = 2000" ||
	bail_out "the private relay did not start"
waiting() { pr_health | jq -r '.waiting // 0'; }
all_waiting() { [ "$(waiting)" -ge "$N" ]; }
queue_empty() { [ "$(waiting)" = 0 ]; }

# Sends every request at once, then answers one line to each command on stdin: "answered"
# (how many have read anything), "hang_up K" (closes the first K; how many are left),
# "status CODE" (how many answers have that status), "all TEXT" (waits until every stream
# has read TEXT or ended; how many read it).
cat >"$RT_TMP/burst.py" <<'PY'
import sys
from streams import connect, hang_up, pump, until, got, ended

port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for _ in range(n):
    connect(port, token)
print("sent %d" % n, flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    pump(0)
    if cmd == "answered":
        print(sum(1 for g in got if g), flush=True)
    elif cmd == "hang_up":
        for i in range(int(arg)):
            hang_up(i)
        print(sum(not e for e in ended), flush=True)
    elif cmd == "status":
        print(sum(g.startswith(("HTTP/1.1 %s " % arg).encode()) for g in got), flush=True)
    elif cmd == "all":
        until(lambda: all(e or arg.encode() in g for g, e in zip(got, ended)))
        print(sum(arg.encode() in g for g in got), flush=True)
PY

hold sessions t3197-sessions || bail_out "cannot lock sessions"
holder "$RT_TMP/burst.py" "$port" "$TOKEN" "$N"
hear
is "$ANSWER" "sent $N" "$N streams are asked for at once, their session lookups held up"
ok "$(wait_until 20 all_waiting; echo $?)" "all $N openings wait for their lookup (the relay reports $(waiting) statements waiting)"
ask answered
is "$ANSWER" 0 "... and none is answered before its session is known"

# Clients that give up while their lookup waits get no stream: the relay ends up holding
# only those left.
ask hang_up "$GONE"
is "$ANSWER" $((N - GONE)) "$GONE of them hang up while their lookups wait"
release t3197-sessions
ask all "event: ready"
is "$ANSWER" $((N - GONE)) "once the lock goes, every one of the $((N - GONE)) left opens"
streams_left() { [ "$(pr_health | jq -r '.clients // 0')" = $((N - GONE)) ]; }
ok "$(wait_until 10 streams_left; echo $?)" "... and the relay holds just those ($(pr_health | jq -r .clients) streams)"
ask status 503
is "$ANSWER" 0 "... none was refused as busy"
ok "$(wait_until 10 queue_empty; echo $?)" "the relay's queue is empty again"

kill "$HOLDER_PID" "$PR_PID"
done_testing
