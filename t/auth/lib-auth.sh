# shellcheck shell=bash disable=SC2034  # TOKEN is read by the tests
# Helpers of the access-control tests, sourced after t/lib/tap.sh.
#
# AUTH_PW, AUTH_HASH and any_addr (a client address of its own for each sign-in, below nginx's
# per-address limit) come from t/lib/session.sh.

# The password of AUTH_PW hashed with weaker parameters than today's (m=8 KiB, t=1): a sign-in
# rehashes it.
AUTH_WEAK_HASH='$argon2id$v=19$m=8,t=1,p=1$bPVgXnKpXkkFpifBZY8WKQ$M4D7z8YYneq8RVNWqqNysz4eXroGCdyDBfl8Na9vwsc'

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

# login LOGIN PASSWORD [CURL ARGS...]: POST /api/session from an address of its own, with no
# other credentials; sets STATUS, BODY, HEADERS and TOKEN (empty unless 201).
login() {
	local body
	body=$(jq -cn --arg l "$1" --arg p "$2" '{login: $l, password: $p}')
	shift 2
	API_TOKEN=none json POST /api/session "$body" --interface "$(any_addr)" "$@"
	TOKEN=
	[ "$STATUS" = 201 ] && TOKEN=$(jq -r .token <<<"$BODY")
	return 0
}

# LOGIN and TOK, sign_in's answers, declared here: in a plain array every key is index 0.
declare -A LOGIN=() TOK=()

# sign_in WHO ROLE BRANCH: a new account WHO (a key of LOGIN and TOK) holding ROLE in
# BRANCH, signed in: LOGIN[WHO] is its login, TOK[WHO] its token.
# Bails out when it cannot be made or cannot sign in.
sign_in() {
	LOGIN[$1]=$(new_login)
	add_user "${LOGIN[$1]}" "$AUTH_HASH" "$2" "$3" >/dev/null || bail_out "cannot add $1 with psql"
	login "${LOGIN[$1]}" "$AUTH_PW"
	[ -n "$TOKEN" ] || bail_out "$1 cannot sign in: $STATUS $BODY"
	TOK[$1]=$TOKEN
}

# as WHO METHOD PATH [CURL ARGS...], as_json WHO METHOD PATH JSON [CURL ARGS...]: api and json
# with the session of WHO (TOK[WHO], see sign_in).
as() { API_TOKEN=${TOK[$1]} api "${@:2}"; }
as_json() { API_TOKEN=${TOK[$1]} json "${@:2}"; }
