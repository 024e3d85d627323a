# shellcheck shell=bash disable=SC2034  # TOKEN is read by the tests
# Helpers of the access-control tests, sourced after t/lib/tap.sh.
#
# Sign-ins are limited per client address by nginx (10 a minute, a burst of 10): each
# sign-in here comes from an address of its own in 127.0.0.0/8 (curl --interface; Linux
# routes all of it to lo), so only the test of that limit meets it.

# The password of every account these tests make, and its Argon2id hash
# (crypto_pwhash_str, OPSLIMIT/MEMLIMIT_INTERACTIVE), so accounts can be made with psql.
AUTH_PW='correct horse battery'
AUTH_HASH='$argon2id$v=19$m=65536,t=2,p=1$LLhaoEqSUFoVpboxBIIByQ$nu9uyD3BDf4nLINDFJd8asrWL1vSZBLm8kkPUa3Y1vA'
# The same password hashed with weaker parameters than today's (m=8 KiB, t=1): a sign-in rehashes it.
AUTH_WEAK_HASH='$argon2id$v=19$m=8,t=1,p=1$bPVgXnKpXkkFpifBZY8WKQ$M4D7z8YYneq8RVNWqqNysz4eXroGCdyDBfl8Na9vwsc'

# any_addr: a random client address in 127.0.0.0/8 (never 127.0.0.1).
any_addr() { printf '127.%d.%d.%d\n' $((RANDOM % 250 + 2)) $((RANDOM % 250 + 1)) $((RANDOM % 250 + 1)); }

# new_login: a login unique to this run.
new_login() { printf 't7-%s\n' "$(uniq_token)"; }

# add_user LOGIN [HASH [ROLE BRANCH]...]: an active account made with psql; prints its id.
add_user() {
	local login=$1 hash=${2:-$AUTH_HASH} id
	shift 2 || shift $#
	id=$(psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -v login="$login" -v hash="$hash" \
		<<<"insert into users (login, name, password_hash) values (:'login', 'Test ' || :'login', :'hash') returning id;") || return 1
	while [ $# -ge 2 ]; do
		sql "insert into memberships (user_id, branch, role) values ('$id', '$2', '$1')" || return 1
		shift 2
	done
	printf '%s\n' "$id"
}

# login LOGIN PASSWORD [CURL ARGS...]: POST /api/session from an address of its own; sets
# STATUS, BODY, HEADERS and TOKEN (empty unless 201).
login() {
	local body
	body=$(jq -cn --arg l "$1" --arg p "$2" '{login: $l, password: $p}')
	shift 2
	json POST /api/session "$body" --interface "$(any_addr)" "$@"
	TOKEN=
	[ "$STATUS" = 201 ] && TOKEN=$(jq -r .token <<<"$BODY")
	return 0
}
