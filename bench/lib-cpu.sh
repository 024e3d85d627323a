# shellcheck shell=bash disable=SC2154  # FIELDSYNC_PGDATA, FIELDSYNC_VAR: var/stack.env
# Where the CPU goes: the CPU time PostgreSQL, the clients workers and nginx spend, read
# from /proc before and after a run, so a figure can say how many microseconds of each a
# request costs. Unlike requests/s this hardly depends on what else the machine runs.
# Sourced by bench/run after bench/lib.sh.

clk_tck=$(getconf CLK_TCK)

# ticks_of PID: CPU ticks of PID and its live children so far, with those of its children
# that have ended (PostgreSQL's backends end with their connection: the postmaster's
# cutime and cstime keep them).
ticks_of() {
	local pid=$1 files
	files=("/proc/$pid/stat")
	for kid in $(pgrep -P "$pid"); do
		files+=("/proc/$kid/stat")
	done
	cat "${files[@]}" 2>/dev/null | awk -v parent="$pid" '{
		self = $1; sub(/^.*\) /, "")	# after "pid (comm) ": state is $1, utime $12
		t += $12 + $13
		if (self == parent) t += $14 + $15
	} END { print t + 0 }'
}

# cpu_snapshot: "postgres workers nginx" ticks so far: the stack's postmaster, the clients
# resource's supervisor, nginx's master, each with their children.
cpu_snapshot() {
	local run=$FIELDSYNC_VAR/run
	[ -L "$run" ] || [ -d "$run" ] || run=$(dirname "$FIELDSYNC_RELAY_SOCKET")
	echo "$(ticks_of "$(head -n 1 "$FIELDSYNC_PGDATA/postmaster.pid")")" \
		"$(ticks_of "$(cat "$run/clients.pid")")" "$(ticks_of "$(cat "$run/nginx.pid")")"
}

# cpu_per BEFORE AFTER COUNT: microseconds of CPU per request of each of the three, from
# two snapshots and the number of requests between them: "postgres workers nginx".
cpu_per() {
	awk -v b="$1" -v a="$2" -v n="$3" -v hz="$clk_tck" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		for (i = 1; i <= 3; i++) printf "%s%.0f", (i > 1 ? " " : ""), (y[i] - x[i]) * 1e6 / hz / n
		print ""
	}'
}
