#!/bin/bash
# The log: one line per event, "<UTC time with ms> <level> <process>: <message>", on stderr
# by default and in the [log] file of the config when it names one; SIGUSR1 makes the
# supervisor, its workers and the relay open that file again, so that after logrotate
# renamed it the next lines go to a new file.
#
# The worker is aimed at a database without our tables (the stack's "postgres"), so that it
# logs on demand: every connection attempt (one per request, at most one a second) logs the
# statement it could not prepare. Every wait is a bounded poll, never a fixed sleep.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

BIN=$FIELDSYNC_TOP/cgi-bin/clients.fcgi
RELAY=$FIELDSYNC_TOP/relay/fieldsync-relay
[ -x "$BIN" ] || skip_all "cgi-bin/clients.fcgi is not built"
[ -x "$RELAY" ] || skip_all "relay/fieldsync-relay is not built"
[ -n "${DATABASE_URL:-}" ] || skip_all "no DATABASE_URL (run ./stack up)"
command -v cgi-fcgi >/dev/null || skip_all "cgi-fcgi missing (Debian package libfcgi-bin)"
command -v pgrep >/dev/null || skip_all "pgrep missing (procps)"
sql 'select 1' >/dev/null 2>&1 || skip_all "the stack's database does not answer"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t8010.XXXXXX")
started=()
cleanup() {
	local pid
	for pid in "${started[@]}"; do
		kill -KILL "$pid" $(pgrep -P "$pid" 2>/dev/null) 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck disable=SC2034  # read by wait_until
WAIT_EVERY=0.1

NO_TABLES_URL=$(with_dbname postgres)

LOG=$TMP/fieldsync.log
CONF=$TMP/fieldsync.conf
printf '[log]\nfile = %s\n' "$LOG" >"$CONF"

# A line: ISO-8601 UTC with milliseconds, a level, the process's name, a message.
LINE_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (error|warn|info) [a-z-]+: .+$'

# all_lines_well_formed FILE: every line of FILE (at least one) matches LINE_RE.
all_lines_well_formed() {
	[ -s "$1" ] && ! grep -Evq "$LINE_RE" "$1"
}

# has FILE REGEX: FILE has a line matching REGEX.
has() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# fd2_is PID FILE: the process's standard error is FILE (the one of that name now).
fd2_is() { [ "$(readlink "/proc/$1/fd/2")" = "$2" ]; }

# A well-formed token nobody holds (43 characters, as issued): a request that carries one
# needs the database, where an anonymous one is answered 401 without it.
TOKEN_PARAM="HTTP_AUTHORIZATION=Bearer $(uniq_chars 43 abcdefghijklmnopqrstuvwxyz0123456789)"

# poke SOCKET: one GET with a token through the worker's socket (its answer does not matter).
poke() {
	env "$TOKEN_PARAM" GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
		QUERY_STRING=limit=1 SCRIPT_NAME=/api/clients REQUEST_URI=/api/clients?limit=1 \
		REMOTE_ADDR=127.0.0.1 timeout 10 cgi-fcgi -bind -connect "$1" >/dev/null 2>&1 </dev/null
}

# worker_logs_into SOCKET FILE: a request makes the worker log a line into FILE.
worker_logs_into() {
	poke "$1"
	has "$2" ' error fieldsync-clients: the database schema is at none, this build needs '
}

# ---------------------------------------------------------------- stderr by default

out=$(env -u FIELDSYNC_CONF DATABASE_URL="$NO_TABLES_URL" "$TOKEN_PARAM" REQUEST_METHOD=GET QUERY_STRING=limit=1 \
	SCRIPT_NAME=/api/clients timeout 10 "$BIN" --config /dev/null 2>&1 >/dev/null)
printf '%s\n' "$out" >"$TMP/stderr.log"
like "$out" ' error fieldsync-clients: ' "without [log] file the lines go to stderr, named after the process"
all_lines_well_formed "$TMP/stderr.log"
ok $? "... each line: UTC time with milliseconds, level, process, message" || diag "$out"

# ---------------------------------------------------------------- a worker pool, into the file

SOCK=$TMP/clients.sock
env -u FIELDSYNC_CONF DATABASE_URL="$NO_TABLES_URL" "$BIN" --socket "$SOCK" --workers 1 \
	--config "$CONF" </dev/null >"$TMP/pool.out" 2>&1 &
SUP=$!
started+=("$SUP")
wait_until 10 has "$LOG" ' info fieldsync-clients: 1 workers$'
ok $? "the supervisor logs into the [log] file" || diag "$(cat "$TMP/pool.out" "$LOG" 2>/dev/null)"
wait_until 10 worker_logs_into "$SOCK" "$LOG"
ok $? "... and so does its worker (a database it cannot serve, at level error)"
# The worker's line at start is there: from now on only requests make lines.
like "$(grep ' the database schema is at ' "$LOG" | head -n 1)" "$LINE_RE" "the worker's line has the format"
is "$(cat "$TMP/pool.out")" "" "nothing went to the process's own stderr"
WORKER=$(pgrep -P "$SUP" | head -n 1)
[ -n "$WORKER" ]
ok $? "the worker runs (pid ${WORKER:-none})"

# logrotate's way: rename, then SIGUSR1 to the service (the supervisor passes it on).
mv "$LOG" "$LOG.1"
kill -USR1 "$SUP"
wait_until 10 fd2_is "$SUP" "$LOG"
ok $? "SIGUSR1: the supervisor opened a new $LOG" || diag "fd 2: $(readlink "/proc/$SUP/fd/2")"
wait_until 10 fd2_is "$WORKER" "$LOG"
ok $? "... and its worker too" || diag "fd 2: $(readlink "/proc/$WORKER/fd/2")"
wait_until 10 worker_logs_into "$SOCK" "$LOG"
ok $? "the worker's next line lands in the new file"
kill -KILL "$WORKER"
wait_until 10 has "$LOG" " warn fieldsync-clients: worker $WORKER killed by signal 9; restarting"
ok $? "... and the supervisor's (a worker killed, restarted)"
all_lines_well_formed "$LOG"
ok $? "every line of the new file has the format" || diag "$(cat "$LOG")"
! has "$LOG.1" ' restarting'
ok $? "the renamed file got none of the new lines"
kill -TERM "$SUP"

# ---------------------------------------------------------------- the relay

RLOG=$TMP/relay.log
printf '[log]\nfile = %s\n' "$RLOG" >"$TMP/relay.conf"
env -u FIELDSYNC_CONF DATABASE_URL="$DATABASE_URL" "$RELAY" --config "$TMP/relay.conf" \
	--listen "unix:$TMP/relay.sock" </dev/null >"$TMP/relay.out" 2>&1 &
RPID=$!
started+=("$RPID")
wait_until 10 has "$RLOG" ' info fieldsync-relay: listening on '
ok $? "the relay logs into the [log] file, at level info" || diag "$(cat "$TMP/relay.out" "$RLOG" 2>/dev/null)"
mv "$RLOG" "$RLOG.1"
kill -USR1 "$RPID"
wait_until 10 fd2_is "$RPID" "$RLOG"
ok $? "SIGUSR1: the relay opened a new $RLOG" || diag "fd 2: $(readlink "/proc/$RPID/fd/2")"
kill -TERM "$RPID"
wait_until 10 has "$RLOG" ' info fieldsync-relay: stopped$'
ok $? "the relay's next lines land in the new file"
all_lines_well_formed "$RLOG"
ok $? "every line of it has the format" || diag "$(cat "$RLOG")"
all_lines_well_formed "$RLOG.1"
ok $? "... and so has every line of the renamed one" || diag "$(cat "$RLOG.1")"

# ---------------------------------------------------------------- a file that cannot be opened

printf '[log]\nfile = %s\n' "$TMP/no/such/folder/x.log" >"$TMP/bad.conf"
out=$(env -u FIELDSYNC_CONF DATABASE_URL="$NO_TABLES_URL" "$TOKEN_PARAM" REQUEST_METHOD=GET QUERY_STRING=limit=1 \
	SCRIPT_NAME=/api/clients timeout 10 "$BIN" --config "$TMP/bad.conf" 2>&1 >/dev/null)
like "$out" ' error fieldsync-clients: cannot open the log file .*x\.log, logging to stderr' \
	"a log file that cannot be opened is said on stderr, where the lines go on"

done_testing
