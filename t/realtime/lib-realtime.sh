# shellcheck shell=bash
# shellcheck disable=SC2034  # READY_SEQ and the like are read by the files that source this one
# Helpers shared by the t/realtime tests; source after t/lib/tap.sh.
#
# A subscriber is "curl -sN" writing one stream to $RT_TMP/NAME.sse; the tests poll that
# file against a deadline (wait_until), never sleep as synchronisation. Every subscriber,
# private relay and psql session started here is stopped when the test exits.

RT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-$(basename "$0" .sh).XXXXXX")
declare -A SUB_PID=()
RT_CHILDREN=()

rt_cleanup() {
	local pid
	for pid in "${SUB_PID[@]}" "${RT_CHILDREN[@]}"; do
		kill -CONT "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$RT_TMP"
}
trap rt_cleanup EXIT

# require_relay: bail out unless the stack's relay answers /events/health through nginx.
require_relay() {
	require_stack
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$FIELDSYNC_URL/events/health")
	[ "$code" = 200 ] || bail_out "GET /events/health answers '$code' (is the relay running? ./stack status)"
}

# wait_until, since and at_most: t/lib/common.sh.

# health: the stack relay's /events/health body.
health() { curl -s --max-time 3 "$FIELDSYNC_URL/events/health"; }

# auth_followed: the stack relay has read every auth_changes entry committed so far, so
# that a stream opened now is not rechecked for one of them (a lookup that could run after
# a later change and name the earlier change's reason).
auth_followed() {
	local seen
	seen=$(curl -s --max-time 3 "$FIELDSYNC_URL/events/metrics" | awk '$1 == "fieldsync_relay_auth_seq" { print $2 }')
	[ "${seen:--1}" -ge "$(sql 'SELECT coalesce(max(seq), 0) FROM auth_changes')" ]
}

# relay_head: the stack relay's head.
relay_head() { health | jq -r '.head // empty' 2>/dev/null; }

# offers_credentials [CURL ARGS...]: the args carry an Authorization or Cookie header of
# their own (-H 'Authorization: …', -H 'Cookie: …', -b, --cookie).
offers_credentials() {
	local prev= a
	for a in "$@"; do
		case $prev in -H | --header) [[ ${a,,} == authorization:* || ${a,,} == cookie:* ]] && return 0 ;; esac
		case $a in -b | --cookie | --cookie=*) return 0 ;; esac
		prev=$a
	done
	return 1
}

# subscribe NAME URL [CURL ARGS...]: start a subscriber on URL; its pid is SUB_PID[NAME].
# Signed in as api is: the suite's admin (auth_header) by default, API_TOKEN=<token> that
# session, API_TOKEN=none no credentials (the relay refuses that: only for the tests of the
# refusal); nothing is added when the CURL ARGS carry credentials of their own.
subscribe() {
	local name=$1 url=$2 auth=()
	shift 2
	if ! offers_credentials "$@" && [ "${API_TOKEN:-}" != none ]; then
		# Checked once here, not by each $(...) below (when the helpers offer it).
		[ -n "${API_TOKEN:-}" ] || ! declare -F suite_token_load >/dev/null || suite_token_load
		auth=(-H "$(auth_header ${API_TOKEN:+"$API_TOKEN"})")
	fi
	: >"$RT_TMP/$name.sse"
	curl -sN --max-time "${SUB_MAX_TIME:-900}" "${auth[@]}" "$@" "$url" >"$RT_TMP/$name.sse" 2>"$RT_TMP/$name.err" &
	SUB_PID[$name]=$!
}

# unsubscribe NAME: stop subscriber NAME.
unsubscribe() {
	local pid=${SUB_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "SUB_PID[$1]"
}

# sub_running NAME: subscriber NAME's curl still runs (its stream is open).
sub_running() { kill -0 "${SUB_PID[$1]}" 2>/dev/null; }

# sub_ended NAME: subscriber NAME's curl has exited (its stream ended).
sub_ended() { ! sub_running "$1"; }

# events NAME: the complete events NAME received, one a line: "id<TAB>type<TAB>data";
# comments, the retry hint and a half-received last event are left out.
events() {
	awk '
		/^$/ { if (ev != "" || data != "") print id "\t" (ev == "" ? "message" : ev) "\t" data
		       id = ""; ev = ""; data = ""; next }
		/^id: / { id = substr($0, 5); next }
		/^event: / { ev = substr($0, 8); next }
		/^data: / { data = substr($0, 7); next }
	' "$RT_TMP/$1.sse"
}

# has_event NAME TYPE [TEXT]: NAME received an event of TYPE whose data contains TEXT.
has_event() {
	events "$1" | awk -F '\t' -v t="$2" -v x="${3:-}" '$2 == t && index($3, x) { f = 1 } END { exit !f }'
}

# event_data NAME TYPE TEXT: the data of the first event of TYPE whose data contains TEXT.
event_data() {
	events "$1" | awk -F '\t' -v t="$2" -v x="$3" '$2 == t && index($3, x) { print $3; exit }'
}

# count_events NAME TYPE TEXT: how many events of TYPE have data containing TEXT.
count_events() {
	events "$1" | awk -F '\t' -v t="$2" -v x="$3" '$2 == t && index($3, x) { n++ } END { print n + 0 }'
}

# wait_ready NAME: wait (5 s) for NAME's "ready" event; sets READY_SEQ to its seq.
wait_ready() {
	READY_SEQ=
	wait_until 5 has_event "$1" ready || return 1
	READY_SEQ=$(event_data "$1" ready '' | jq -r .seq)
}

# ids_of NAME TEXT: the ids (seqs) of NAME's events whose data contains TEXT, one a line.
ids_of() { events "$1" | awk -F '\t' -v x="$2" 'index($3, x) { print $1 }'; }

# rising: stdin (numbers, one a line) rises strictly.
rising() { awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }'; }

# changes_seqs SINCE UPTO [QUERY]: the seqs /api/changes lists after SINCE up to UPTO,
# following "next" while "more", one a line; "error" on a failed page.
changes_seqs() {
	local since=$1 upto=$2 query=${3:-} body
	while :; do
		body=$(curl -s --max-time 10 -H "$(auth_header)" "$FIELDSYNC_URL/api/changes?since=$since&limit=1000$query") ||
			{ echo error; return 1; }
		printf '%s' "$body" | jq -r --argjson u "$upto" '.changes[] | select(.seq <= $u) | .seq' ||
			{ echo error; return 1; }
		[ "$(printf '%s' "$body" | jq -r '.more')" = true ] || break
		since=$(printf '%s' "$body" | jq -r '.next')
		[ "$since" -lt "$upto" ] || break
	done
}

# publish SEQ [TYPE] [ADDR]: a nanomsg message announcing SEQ, "<type> <seq>", as a worker
# sends it (the relay reads the event itself from the change log). PUB
# drops what it sends before its connection is up, so it is sent every 0.2 s for a second
# (the relay drops the repeats: a seq at or below its head).
publish() {
	local type=${2:-clients:create} addr=${3:-$FIELDSYNC_EVENTS_ADDR}
	timeout 1.1 nanocat --pub --connect "$addr" --delay 0.1 --interval 0.2 \
		--data "$type $1" >/dev/null 2>&1 || true
}

# private_relay NAME [INI LINES...]: start a relay of this test's own (the stack's config,
# then its own [relay] listen and sub, then INI LINES) on PR_SOCK, nanomsg PR_SUB; its pid
# is PR_PID, its log $RT_TMP/NAME.log. Waits (10 s) for its health (unless PR_NOWAIT=1).
private_relay() {
	local name=$1
	shift
	PR_SOCK=$RT_TMP/$name.sock PR_SUB=ipc://$RT_TMP/$name.ipc PR_CONF=$RT_TMP/$name.conf
	{
		cat "$FIELDSYNC_STACK_CONF"
		printf '[relay]\nlisten = unix:%s\nsub = %s\n' "$PR_SOCK" "$PR_SUB"
		printf '%s\n' "$@"
	} >"$PR_CONF"
	"$FIELDSYNC_RELAY_BIN" --config "$PR_CONF" >"$RT_TMP/$name.log" 2>&1 &
	PR_PID=$!
	RT_CHILDREN+=("$PR_PID")
	[ "${PR_NOWAIT:-0}" = 1 ] && return 0
	wait_until 10 pr_healthy || { diag "private relay $name did not come up:"; diag "$(cat "$RT_TMP/$name.log")"; return 1; }
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on now (the kernel's pick,
# released again), for a private relay's own address.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# holder SCRIPT [ARGS...]: runs the stream holder SCRIPT (Python, streams.py on its path) as
# the coprocess HOLDER, stopped when the test exits. hear reads its next line into ANSWER;
# ask LINE sends it a command and reads the answer (60 s at most each).
holder() {
	coproc HOLDER { PYTHONPATH=$RT_DIR python3 "$@"; }
	RT_CHILDREN+=("$HOLDER_PID")
}
hear() { read -r -t 60 ANSWER <&"${HOLDER[0]}"; }
ask() { echo "$*" >&"${HOLDER[1]}" && hear; }

# pr_health: the private relay's /events/health body; pr_healthy: it answers 200.
pr_health() { curl -s --max-time 3 --unix-socket "$PR_SOCK" http://relay/events/health; }
pr_healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --unix-socket "$PR_SOCK" http://relay/events/health)" = 200 ]; }

# pr_subscribe NAME [QUERY] [CURL ARGS...]: a subscriber on the private relay.
pr_subscribe() {
	local name=$1 query=${2:-}
	shift 2 || shift
	subscribe "$name" "http://relay/events${query:+?$query}" --unix-socket "$PR_SOCK" "$@"
}

# hold TABLE MARK: another session (application_name MARK) locks TABLE until released
# (60 s at most); waits (5 s) until it holds the lock. release MARK: ends that session.
# A test that holds one releases it in its EXIT trap too: nothing stays locked.
hold() {
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET application_name = '$2'" -c "BEGIN" \
		-c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	RT_CHILDREN+=($!)
	wait_until 5 lock_held "$1" "$2"
}
release() { sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$1'" >/dev/null; }
lock_held() {
	[ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = '$2' AND l.relation = '$1'::regclass AND l.granted")" = 1 ]
}

# insert_client BRANCH NAME: insert a client with psql (the triggers log it); prints its id.
insert_client() {
	sql "INSERT INTO clients (branch, name) VALUES ('$1', '$2') RETURNING id"
}

# seq_of ID: the newest change log seq of row ID.
seq_of() { sql "SELECT max(seq) FROM change_log WHERE row_id = '$1'"; }
