#!/bin/bash
# fieldsync-admin (sql/fieldsync-admin) on the stack's database: every command and its refusals, the
# Argon2id hashes it stores, the sessions and auth_changes the triggers of 006 keep in step, that a
# password never shows in argv or in clear, and the first admin ./stack up made. Logins are unique to
# the run (t7000-TOKEN-…) and deleted at the end; the last-admin rule runs on a throw-away database.

# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

BIN=${FIELDSYNC_ADMIN:-$FIELDSYNC_TOP/sql/fieldsync-admin}
MIGRATE=${FIELDSYNC_MIGRATE:-$FIELDSYNC_TOP/sql/fieldsync-migrate}

[ -n "${DATABASE_URL:-}" ] || skip_all "DATABASE_URL is not set (run ./stack up)"
[ -x "$BIN" ] || bail_out "$BIN is not built"
[ "$(sql "SELECT to_regclass('users') IS NOT NULL")" = t ] || bail_out "no users table: run ./stack up"

RUN=t7000-$(uniq_token)
work=$(mktemp -d)
DB=fieldsync_admin_test_$(uniq_token)

cleanup() {
	[ -z "${holder:-}" ] || kill "$holder" 2>/dev/null
	sql "DELETE FROM users WHERE login LIKE '$RUN-%'" >/dev/null
	psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# adm ARGS...: run the tool with stdin from $STDIN (default: nothing); sets OUT, ERR and RC.
adm() {
	OUT=$("$BIN" "$@" <"${STDIN:-/dev/null}" 2>"$work/err")
	RC=$?
	ERR=$(cat "$work/err")
}

# with_password PW ARGS...: adm with PW as the one line on stdin.
with_password() {
	local pw=$1
	shift
	printf '%s\n' "$pw" >"$work/pw"
	STDIN=$work/pw adm "$@"
	rm -f "$work/pw"
}

# refused STATUS WHY-REGEX DESCRIPTION: the last run exited STATUS with one line on stderr matching WHY.
refused() {
	local status=$1 why=$2
	shift 2
	if [ "$RC" = "$status" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && [[ $ERR =~ $why ]]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "exit $RC (expected $status), stderr: '$ERR' (expected one line matching '$why')"
	fi
}

# verifies HASH PW: libsodium's crypto_pwhash_str_verify accepts PW for HASH (the password on stdin).
verifies() {
	printf '%s\n' "$2" | python3 -c '
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
assert lib.sodium_init() >= 0
pw = sys.stdin.buffer.readline().rstrip(b"\n")
sys.exit(lib.crypto_pwhash_str_verify(sys.argv[1].encode(), pw, ctypes.c_ulonglong(len(pw))) != 0)' "$1"
}

hash_of() { sql "SELECT password_hash FROM users WHERE login = '$1'"; }
sessions_of() { sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login = '$1'"; }
memberships_of() {
	sql "SELECT string_agg(role || ':' || branch, ',' ORDER BY role, branch) FROM memberships m
		JOIN users u ON u.id = m.user_id WHERE u.login = '$1'"
}
# changes_of LOGIN WHY: how many auth_changes rows WHY user LOGIN has.
changes_of() {
	sql "SELECT count(*) FROM auth_changes a JOIN users u ON u.id = a.user_id
		WHERE u.login = '$1' AND a.why = '$2'"
}
# add_session LOGIN: a session row for LOGIN, as a sign-in would leave it.
add_session() {
	sql "INSERT INTO sessions (token_hash, user_id, expires_at) SELECT sha256(convert_to('$(uniq_token)',
		'UTF8')), id, now() + interval '1 day' FROM users WHERE login = '$1'" >/dev/null
}
list_line() { printf '%s\n' "$OUT" | awk -F'\t' -v l="$1" '$1 == l'; }

TAB=$'\t'
if python3 -c 'import ctypes, ctypes.util
ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23").sodium_init()' 2>/dev/null; then
	have_verify=1
else
	have_verify=0
	diag "python3 cannot load libsodium: the hash checks are skipped"
fi
# check_hash HASH PW DESCRIPTION: the hash is accepted for PW (skipped without python3's libsodium).
check_hash() {
	if [ "$have_verify" = 1 ]; then
		verifies "$1" "$2"
		ok $? "$3"
	else
		echo "ok $((tap_n += 1)) # SKIP $3: no libsodium for python3"
	fi
}

U=$RUN-rep
PW=Pw-$(uniq_token)-1
B1=$RUN-north B2=$RUN-south B3=$RUN-east

# --- usage
adm --help
ok $((RC != 0)) "--help exits 0"
like "$OUT" "user add LOGIN --role ROLE" "--help lists the commands"
adm
is "$RC" 2 "no command is a usage error (2)"
adm user frob x
refused 2 "unknown command 'frob'" "an unknown command is a usage error"
adm user add
refused 2 "which login" "user add without a login is a usage error"
adm user add "$U" --role rep --branch "$B1"
refused 2 "needs --password-stdin" "user add without --password-stdin is a usage error"
adm user disable "$U" --role rep
refused 2 "takes no --role" "an option the command does not take is a usage error"
RC=$(env -u DATABASE_URL "$BIN" user list 2>"$work/err" >/dev/null; echo $?) ERR=$(cat "$work/err")
refused 2 "no database given" "without DATABASE_URL or --database: usage error"

# --- the password is never an argument
adm user add "$U" --role rep --branch "$B1" --password="$PW"
refused 2 "never taken from the command line" "--password=PW is refused"
[[ $ERR != *"$PW"* ]]
ok $? "the refusal does not echo the password"
adm user add "$U" --role rep --branch "$B1" --password "$PW"
refused 2 "never taken from the command line" "--password PW is refused"
adm user add "$U" --role rep --branch "$B1" --password-stdin "$PW"
refused 2 "unexpected argument" "a password as a positional argument is refused"
[[ $ERR != *"$PW"* ]]
ok $? "... and not echoed"
adm user add "$U" --role rep --branch "$B1" --passw="$PW"
refused 2 "unknown option --passw [(]see" "an abbreviated --passw=PW is refused without echoing the value"
is "$(sql "SELECT count(*) FROM users WHERE login = '$U'")" 0 "none of those created the user"

# --- add and its refusals
with_password "$PW" user add "$U" --role rep --branch "$B1" --branch "$B2" --name "Rep One" --password-stdin
is "$RC" 0 "user add: exit 0"
like "$OUT" "^added $U" "user add says so"
is "$(memberships_of "$U")" "rep:$B1,rep:$B2" "user add: rep in both branches"
is "$(sql "SELECT name || '|' || status FROM users WHERE login = '$U'")" "Rep One|active" \
	"user add: the name, status active"
H=$(hash_of "$U")
# shellcheck disable=SC2016 # a regex: the $ are literal
like "$H" '^\$argon2id\$v=19\$m=65536,t=2,p=1\$' "the stored hash is an Argon2id string (interactive limits)"
check_hash "$H" "$PW" "the hash verifies the password"
if [ "$have_verify" = 1 ]; then
	verifies "$H" "${PW}x"
	is $? 1 "the hash refuses another password"
else
	echo "ok $((tap_n += 1)) # SKIP no libsodium for python3"
fi
with_password "Other-$(uniq_token)" user add "$U" --role rep --branch "$B1" --password-stdin
refused 1 "already exists" "a duplicate login is refused (1)"
is "$(hash_of "$U")" "$H" "... and leaves the user as it was"
with_password "$PW" user add "$RUN-boss" --role boss --branch "$B1" --password-stdin
refused 1 "unknown role 'boss'" "a bad role is refused (1)"
with_password "$PW" user add "$RUN-nobranch" --role rep --password-stdin
refused 1 "needs at least one --branch" "rep without --branch is refused (1)"
with_password "$PW" user add "$RUN-adm" --role admin --branch "$B1" --password-stdin
refused 1 "admin holds every branch" "admin with a --branch is refused (1)"
with_password short1234 user add "$RUN-short" --role rep --branch "$B1" --password-stdin
refused 1 "password too short: at least 10" "a 9-byte password is refused (1)"
with_password "$(head -c 1025 /dev/zero | tr '\0' a)" user add "$RUN-long" --role rep --branch "$B1" --password-stdin
refused 1 "password too long: at most 1024" "a 1025-byte password is refused (1)"
adm user add "$RUN-empty" --role rep --branch "$B1" --password-stdin
refused 1 "no password on stdin" "no password on stdin is refused (1)"
with_password "$PW" user add "Upper-$RUN" --role rep --branch "$B1" --password-stdin
refused 1 "invalid login" "a login with capitals is refused (1)"
with_password "$PW" user add "$RUN-wide" --role rep --branch "$B1" --branch "$(printf 'b%.0s' {1..201})" \
	--password-stdin
refused 1 "branch is 1 to 200" "a 201-character branch is refused"
is "$(sql "SELECT count(*) FROM users WHERE login LIKE '$RUN-%' AND login <> '$U'")" 0 \
	"no refused add left a user behind (one transaction: the user and every membership, or nothing)"
with_password "$(head -c 1024 /dev/zero | tr '\0' b)" user add "$RUN-max" --role hr --branch "$B1" --password-stdin
is "$RC" 0 "a 1024-byte password is taken"

# --- never in argv, never in clear
mkfifo "$work/fifo"
"$BIN" user add "$RUN-ps" --role finance --branch "$B1" --password-stdin <"$work/fifo" >/dev/null 2>&1 &
pid=$!
exec 7>"$work/fifo" # opens once the tool's end is open: it runs (or is about to), waiting for the line
wait_until 5 grep -q fieldsync-admin "/proc/$pid/cmdline"
args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
ps_line=$(ps -ww -o args= -p "$pid")
PS_PW=Ps-$(uniq_token)-2
printf '%s\n' "$PS_PW" >&7
exec 7>&-
wait "$pid"
is "$?" 0 "user add reading from a pipe succeeds"
like "$args" "--password-stdin" "its argv names --password-stdin"
[[ $args != *"$PS_PW"* && $ps_line != *"$PS_PW"* ]]
ok $? "the password is in neither /proc/PID/cmdline nor ps"
"${FIELDSYNC_PGBIN:+$FIELDSYNC_PGBIN/}pg_dump" "$DATABASE_URL" --data-only -t users -t memberships -t sessions -t auth_changes >"$work/dump" 2>/dev/null
ok $? "pg_dump of the account tables"
! grep -qF -e "$PW" -e "$PS_PW" "$work/dump"
ok $? "no password in clear in the database"
if [ -r "${FIELDSYNC_VAR:-$FIELDSYNC_TOP/var}/log/postgresql.log" ]; then
	! grep -qF -e "$PW" -e "$PS_PW" "${FIELDSYNC_VAR:-$FIELDSYNC_TOP/var}/log/postgresql.log"
	ok $? "no password in PostgreSQL's log"
else
	echo "ok $((tap_n += 1)) # SKIP no local PostgreSQL log"
fi

# --- passwd
add_session "$U"
add_session "$U"
before=$(changes_of "$U" password_changed)
PW2=Pw-$(uniq_token)-3
with_password "$PW2" user passwd "$U" --password-stdin
is "$RC" 0 "user passwd: exit 0"
like "$OUT" "password changed for $U; 2 sessions ended" "user passwd says how many sessions ended"
is "$(sessions_of "$U")" 0 "user passwd deleted the user's sessions"
is "$(changes_of "$U" password_changed)" $((before + 1)) "user passwd is recorded in auth_changes"
check_hash "$(hash_of "$U")" "$PW2" "the new hash verifies the new password"
if [ "$have_verify" = 1 ]; then
	verifies "$(hash_of "$U")" "$PW"
	is $? 1 "... and no longer the old one"
else
	echo "ok $((tap_n += 1)) # SKIP no libsodium for python3"
fi
with_password "$PW2" user passwd "$RUN-nobody" --password-stdin
refused 1 "no user '$RUN-nobody'" "user passwd of an unknown login is refused (1)"
with_password short user passwd "$U" --password-stdin
refused 1 "password too short" "user passwd with a short password is refused (1)"
sql "UPDATE users SET failed_logins = 7, locked_until = now() + interval '1 hour' WHERE login = '$U'"
with_password "$PW" user passwd "$U" --password-stdin
is "$(sql "SELECT failed_logins || '|' || (locked_until IS NULL) FROM users WHERE login = '$U'")" "0|true" \
	"user passwd lifts a lockout"

# --- disable, enable
add_session "$U"
adm user disable "$U"
is "$RC" 0 "user disable: exit 0"
is "$(sql "SELECT status FROM users WHERE login = '$U'")" disabled "user disable: status disabled"
is "$(sessions_of "$U")" 0 "user disable deleted the user's sessions"
is "$(changes_of "$U" disabled)" 1 "user disable is recorded in auth_changes"
adm user disable "$U"
ok $((RC != 0)) "user disable of a disabled user: exit 0 ($OUT)"
adm user disable "$RUN-nobody"
refused 1 "no user" "user disable of an unknown login is refused (1)"
sql "UPDATE users SET failed_logins = 3 WHERE login = '$U'"
adm user enable "$U"
is "$RC" 0 "user enable: exit 0"
is "$(sql "SELECT status || '|' || failed_logins FROM users WHERE login = '$U'")" "active|0" \
	"user enable: active, no failed sign-ins held"
adm user enable "$RUN-nobody"
refused 1 "no user" "user enable of an unknown login is refused (1)"

# --- grant, revoke
before=$(changes_of "$U" rights_changed)
adm user grant "$U" --role manager --branch "$B3"
is "$RC" 0 "user grant: exit 0"
is "$(memberships_of "$U")" "manager:$B3,rep:$B1,rep:$B2" "user grant added manager in $B3"
is "$(changes_of "$U" rights_changed)" $((before + 1)) "user grant is recorded in auth_changes"
adm user grant "$U" --role manager --branch "$B3"
ok $((RC != 0)) "granting a held role again: exit 0 ($OUT)"
adm user grant "$U" --role rep
refused 1 "needs at least one --branch" "user grant rep without --branch is refused (1)"
adm user grant "$U" --role admin --branch "$B1"
refused 1 "admin holds every branch" "user grant admin with a --branch is refused (1)"
adm user grant "$RUN-nobody" --role rep --branch "$B1"
refused 1 "no user" "user grant to an unknown login is refused (1)"
adm user grant "$U" --role admin
is "$RC" 0 "user grant admin (no --branch): exit 0"
is "$(memberships_of "$U")" "admin:*,manager:$B3,rep:$B1,rep:$B2" "admin is held as branch '*'"
adm user list
is "$RC" 0 "user list: exit 0"
is "$(list_line "$U")" "$(printf '%s\t%s\t%s\t%s' "$U" active "admin,manager:$B3,rep:$B1,rep:$B2" "Rep One")" \
	"user list: login, status, memberships, name"
like "$(list_line admin)" "^admin${TAB}active${TAB}admin" "user list shows the stack's admin"
before=$(changes_of "$U" rights_changed)
adm user revoke "$U" --branch "$B1"
is "$RC" 0 "user revoke --branch: exit 0"
is "$(memberships_of "$U")" "admin:*,manager:$B3,rep:$B2" "user revoke took every role in $B1"
is "$(changes_of "$U" rights_changed)" $((before + 1)) "user revoke is recorded in auth_changes"
adm user revoke "$U" --branch "$B3" --role rep
refused 1 "holds no rep role in branch" "revoking a role not held in that branch is refused (1)"
adm user revoke "$U" --branch "$B2" --branch "$RUN-typo"
refused 1 "holds no role in branch '$RUN-typo'" "a revoke with one unknown branch is refused (1)"
is "$(memberships_of "$U")" "admin:*,manager:$B3,rep:$B2" "... and revokes nothing (one transaction)"
adm user revoke "$U"
refused 1 "needs --branch" "user revoke without --branch is refused (1)"
adm user revoke "$U" --role admin
is "$RC" 0 "user revoke --role admin: exit 0"
adm user revoke "$U" --branch "$B3" --role manager
is "$(memberships_of "$U")" "rep:$B2" "user revoke --role: only that role went"
adm user list
is "$(list_line "$U")" "$(printf '%s\t%s\t%s\t%s' "$U" active "rep:$B2" "Rep One")" "user list shows the memberships left"

if psql "$DATABASE_URL" -X -q -c "CREATE DATABASE $DB" >/dev/null 2>&1 &&
	URL=$(with_dbname "$DB") && [ "$(psql "$URL" -XAtq -c 'SELECT current_database()')" = "$DB" ] &&
	"$MIGRATE" --database "$URL" --dir "$FIELDSYNC_TOP/sql" >/dev/null; then
	with_password "$PW" --database "$URL" user add boss --role admin --password-stdin
	adm --database "$URL" user disable boss
	refused 1 "last active admin" "disabling the last active admin is refused (1)"
	adm --database "$URL" user revoke boss --role admin
	refused 1 "last active admin" "revoking admin from the last active admin is refused (1)"
	with_password "$PW" --database "$URL" user add boss2 --role admin --password-stdin
	adm --database "$URL" user disable boss
	is "$RC" 0 "with a second admin, the first can be disabled"
else
	for d in "disable" "revoke" "second admin"; do echo "ok $((tap_n += 1)) # SKIP last admin ($d): no throw-away database"; done
fi

# --- the first admin of ./stack up
PWFILE=${FIELDSYNC_ADMIN_PASSWORD_FILE:-}
like "$PWFILE" "/var/admin-password$" "var/stack.env names FIELDSYNC_ADMIN_PASSWORD_FILE"
if [ -r "$PWFILE" ]; then
	is "$(stat -c %a "$PWFILE")" 600 "the admin password file is mode 0600"
	like "$(cat "$PWFILE")" '^[A-Za-z0-9]{24}$' "it holds 24 letters and digits"
	is "$(sql "SELECT m.role || '|' || u.status FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE u.login = 'admin'")" "admin|active" "login admin is an active admin"
	check_hash "$(hash_of admin)" "$(cat "$PWFILE")" "the file's password verifies against admin's hash"
else
	for d in mode content role hash; do echo "ok $((tap_n += 1)) # SKIP first admin ($d): no $PWFILE"; done
fi

done_testing
