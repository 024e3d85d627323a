# shellcheck shell=bash
# Helpers every shell test may use, sourced by t/lib/tap.sh (so never source it yourself):
# bounded polling, timing, and test data that cannot collide by chance.

# wait_until SECONDS CMD...: run CMD every WAIT_EVERY seconds (default 0.02) until it succeeds;
# 1 when SECONDS run out. The way to wait for something: never a fixed sleep.
wait_until() {
	local deadline
	deadline=$(awk -v n="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
	shift
	until "$@"; do
		awk -v n="$EPOCHREALTIME" -v d="$deadline" 'BEGIN { exit !(n >= d) }' && return 1
		sleep "${WAIT_EVERY:-0.02}"
	done
}

# since T0: seconds (with fraction) from EPOCHREALTIME value T0 to now.
since() { awk -v n="$EPOCHREALTIME" -v t="$1" 'BEGIN { printf "%.3f", n - t }'; }

# at_most SECONDS LIMIT: true when SECONDS <= LIMIT.
at_most() { awk -v s="$1" -v l="$2" 'BEGIN { exit !(s <= l) }'; }

# uniq_token: 12 random lowercase letters from /dev/urandom, unique to this call (26^12).
# Letters only, never digits: a token must not match a phone number, a date, a process id or
# another run's token by chance (a search for a part of it finds only what holds the token).
uniq_token() { uniq_chars 12 abcdefghijklmnopqrstuvwxyz; }

# uniq_digits N: N random decimal digits (for phone numbers; never in a token).
uniq_digits() { uniq_chars "$1" 0123456789; }

# uniq_chars N ALPHABET: N characters drawn from /dev/urandom out of ALPHABET.
uniq_chars() {
	local n=$1 set=$2 b out=
	for b in $(od -An -N"$n" -tu1 /dev/urandom); do
		out+=${set:b % ${#set}:1}
	done
	printf '%s\n' "$out"
}

# new_branch: a branch name unique to this run of this test file (tNNNN-TOKEN).
new_branch() { printf '%s-%s\n' "$(basename "$0" .sh | cut -d- -f1)" "$(uniq_token)"; }

# uuid: a fresh random uuid.
uuid() { cat /proc/sys/kernel/random/uuid; }

# with_dbname DB [USER]: $DATABASE_URL aimed at database DB (as USER, when given). libpq takes
# a URI (postgres[ql]://…) or keyword=value pairs, and in both the last setting of a key wins
# (a URI's query parameters override its path), so appending re-targets any form unparsed.
with_dbname() {
	local sep
	case $DATABASE_URL in
	postgres://*\?* | postgresql://*\?*) sep='&' ;;
	postgres://* | postgresql://*) sep='?' ;;
	*) printf '%s dbname=%s%s\n' "$DATABASE_URL" "$1" "${2:+ user=$2}"; return ;;
	esac
	printf '%s%sdbname=%s%s\n' "$DATABASE_URL" "$sep" "$1" "${2:+&user=$2}"
}
