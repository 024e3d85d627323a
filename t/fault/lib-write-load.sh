# shellcheck shell=bash
# The parts of a write load under faults (t6100), sourced after t/lib/tap.sh: writers that
# record what they sent and what they were answered, a stream subscriber that resumes with
# Last-Event-ID after every disconnect, and the faults (a busy worker killed, PostgreSQL and the
# relay restarted). Everything runs in LOAD_TMP; LOAD_BRANCH is the run's branch and LOAD_AUTH
# the Authorization header of the suite's token. Every wait is wait_until against a deadline.

# The resources written, and what each needs besides id, branch and name.
LOAD_RESOURCES=(clients distributors campaigns)
declare -A LOAD_EXTRA=([clients]='' [distributors]='' [campaigns]=',"starts_on":"2026-12-01"')

# ---------------------------------------------------------------- writers

# writer W: POST rows to the resources in turn until LOAD_TMP/stop exists, each with an id of
# its own and every other one with an Idempotency-Key. One line per request to LOAD_TMP/wW.log:
# writer, resource, id, key (- for none), answer, detail, body (tab-separated). The answer is
# the HTTP status, 000 when none came (curl's exit code in detail: a reset, a timeout), or
# bad<status> for a 2xx whose body does not carry the row's id. Reads /proc for uuids: no fork.
writer() {
	local w=$1 n=0 res id key body code detail resp
	local log=$LOAD_TMP/w$w.log out=$LOAD_TMP/w$w.out
	local -a key_hdr
	: >"$log"
	while [ ! -e "$LOAD_TMP/stop" ]; do
		n=$((n + 1))
		res=${LOAD_RESOURCES[(w + n) % ${#LOAD_RESOURCES[@]}]}
		read -r id </proc/sys/kernel/random/uuid
		body="{\"id\":\"$id\",\"branch\":\"$LOAD_BRANCH\",\"name\":\"writer $w row $n\"${LOAD_EXTRA[$res]}}"
		key=- key_hdr=()
		if [ $((n % 2)) = 1 ]; then
			read -r key </proc/sys/kernel/random/uuid
			key_hdr=(-H "Idempotency-Key: $key")
		fi
		: >"$out"
		# Longer than the workers' statement_timeout (10 s): a request given up on is one
		# the worker gave up on too, not one still running when its replay is sent.
		code=$(curl -s -o "$out" -w '%{http_code}' --max-time 15 -X POST -H "$LOAD_AUTH" \
			-H 'Content-Type: application/json' ${key_hdr[@]+"${key_hdr[@]}"} --data-binary "$body" \
			"$FIELDSYNC_URL/api/$res")
		detail="curl-$?"
		resp=$(<"$out")
		if [[ $code == 2?? ]]; then
			[[ $resp == *"\"$id\""* ]] || code=bad$code
			detail=-
		elif [[ $resp =~ \"code\"[[:space:]]*:[[:space:]]*\"([a-z_]+)\" ]]; then
			detail=${BASH_REMATCH[1]}
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$res" "$id" "$key" "${code:-000}" "$detail" "$body" >>"$log"
	done
}

# acks: how many writes have been answered 2xx so far; errors: how many were not.
acks() { cat "$LOAD_TMP"/w*.log 2>/dev/null | awk -F '\t' '$5 ~ /^2/ { n++ } END { print n + 0 }'; }
errors() { cat "$LOAD_TMP"/w*.log 2>/dev/null | awk -F '\t' '$5 !~ /^2/ { n++ } END { print n + 0 }'; }
acks_reach() { [ "$(acks)" -ge "$1" ]; }
errors_reach() { [ "$(errors)" -ge "$1" ]; }

# more_acks N SECONDS: wait until N more writes than now are acknowledged.
more_acks() {
	local target=$(($(acks) + $1))
	WAIT_EVERY=0.1 wait_until "$2" acks_reach "$target"
}

# ---------------------------------------------------------------- readiness

# api_serves: a signed-in GET answers 200 (workers and database up).
api_serves() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H "$LOAD_AUTH" \
		"$FIELDSYNC_URL/api/clients?limit=1")" = 200 ]
}

# relay_serves: /events/health answers 200 through nginx.
relay_serves() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$FIELDSYNC_URL/events/health")" = 200 ]
}

stream_can_open() { relay_serves && api_serves; }

# ---------------------------------------------------------------- the subscriber

# sse_events FILE...: the complete events in FILEs, "id<TAB>type" a line (a half-received last
# event of a connection and comments left out).
sse_events() {
	local f
	for f in "$@"; do
		awk '/^$/ { if (id != "") print id "\t" ev; id = ""; ev = ""; next }
			/^id: / { id = substr($0, 5); next }
			/^event: / { ev = substr($0, 8); next }' "$f"
	done
}

# sub_files: the subscriber's connections, in the order they were made.
sub_files() {
	local k=1
	while [ -e "$LOAD_TMP/sub.$k.sse" ]; do
		printf '%s\n' "$LOAD_TMP/sub.$k.sse"
		k=$((k + 1))
	done
}

# sub_seqs: the seqs of every change event the subscriber received, in order (duplicates kept).
sub_seqs() {
	local -a files
	mapfile -t files < <(sub_files)
	[ ${#files[@]} -gt 0 ] || return 0
	sse_events "${files[@]}" | awk -F '\t' 'index($2, ":") { print $1 }'
}

# subscriber SEQ: follow /events?branch=LOAD_BRANCH from after SEQ until LOAD_TMP/sub-stop
# exists; after each disconnect reconnect with Last-Event-ID of the last event received, once
# the relay and the API serve again. Connection K writes LOAD_TMP/sub.K.sse; LOAD_TMP/sub.pid
# holds "K PID" of the current one.
subscriber() {
	local last=$1 k=0 pid seen
	while [ ! -e "$LOAD_TMP/sub-stop" ]; do
		k=$((k + 1))
		curl -sN --max-time 600 -H "$LOAD_AUTH" -H "Last-Event-ID: $last" \
			"$FIELDSYNC_URL/events?branch=$LOAD_BRANCH" >"$LOAD_TMP/sub.$k.sse" 2>/dev/null &
		pid=$!
		echo "$k $pid" >"$LOAD_TMP/sub.pid"
		wait "$pid"
		seen=$(sse_events "$LOAD_TMP/sub.$k.sse" | awk -F '\t' 'END { print $1 }')
		[ -z "$seen" ] || last=$seen
		[ -e "$LOAD_TMP/sub-stop" ] || WAIT_EVERY=0.2 wait_until 60 stream_can_open || true
	done
}

# sub_connection: the number of the subscriber's current connection.
sub_connection() { cut -d ' ' -f1 "$LOAD_TMP/sub.pid" 2>/dev/null || echo 0; }

# sub_open_after K: the subscriber has a connection newer than K, open, that the relay answered.
sub_open_after() {
	local k pid
	read -r k pid <"$LOAD_TMP/sub.pid" || return 1
	[ "$k" -gt "$1" ] && kill -0 "$pid" 2>/dev/null && grep -q '^retry:' "$LOAD_TMP/sub.$k.sse"
}

# sub_closed K: connection K of the subscriber has ended.
sub_closed() { [ "$(sub_connection)" -gt "$1" ] || ! kill -0 "$(cut -d ' ' -f2 "$LOAD_TMP/sub.pid")" 2>/dev/null; }

# sub_saw SEQ: the subscriber received the event SEQ.
sub_saw() { sub_seqs | grep -qx "$1"; }

# stop_subscriber PID: ask the subscriber loop PID to stop and end its stream; true once it ended.
stop_subscriber() {
	local k cur
	: >"$LOAD_TMP/sub-stop"
	read -r k cur <"$LOAD_TMP/sub.pid" 2>/dev/null && kill -TERM "$cur" 2>/dev/null
	! kill -0 "$1" 2>/dev/null
}

# ---------------------------------------------------------------- killing busy workers

# worker_syscall PID: the system call PID waits in (a number, or "running").
worker_syscall() { local sc _; read -r sc _ 2>/dev/null <"/proc/$1/syscall" && printf '%s\n' "$sc"; }

# idle_syscalls SUPERVISOR...: the system calls the workers of SUPERVISORs wait in, before any
# load (FastCGI's accept): a worker elsewhere is in a request.
idle_syscalls() {
	local sup p
	for sup in "$@"; do
		for p in $(children "$sup"); do worker_syscall "$p"; done
	done | sort -u | tr '\n' ' '
}

# children SUPERVISOR: its worker pids, space-separated (read from /proc: no fork).
children() {
	local c
	# The file has no final newline: read answers 1 and still sets c.
	read -r c 2>/dev/null <"/proc/$1/task/$1/children" || [ -n "$c" ] || c=$(pgrep -P "$1" | tr '\n' ' ')
	printf '%s\n' "$c"
}

# busy_worker SUPERVISOR: print a worker of SUPERVISOR that is in a request (its system call
# is none of LOAD_IDLE_SYSCALLS); 1 when none is. A request keeps a worker busy for a
# millisecond or two, so each call looks 1000 times, with builtins only.
busy_worker() {
	local p sc _ i
	local -a pids
	read -r -a pids <<<"$(children "$1")"
	for ((i = 0; i < 1000; i++)); do
		for p in "${pids[@]}"; do
			read -r sc _ 2>/dev/null <"/proc/$p/syscall" || continue
			[[ " $LOAD_IDLE_SYSCALLS " == *" $sc "* ]] || { printf '%s\n' "$p"; return 0; }
		done
	done
	return 1
}

# kill_busy SUPERVISOR: kill -9 a worker of SUPERVISOR caught in a request; sets KILLED_PID.
kill_busy() {
	KILLED_PID=$(busy_worker "$1") || return 1
	kill -KILL "$KILLED_PID" 2>/dev/null
}

# replaced SUPERVISOR PID COUNT: SUPERVISOR runs COUNT workers again, none of them PID.
replaced() {
	local -a now
	read -r -a now <<<"$(children "$1")"
	[ "${#now[@]}" = "$3" ] && [[ " ${now[*]} " != *" $2 "* ]]
}
