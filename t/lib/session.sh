# shellcheck shell=bash disable=SC2034,SC2016  # AUTH_PW and AUTH_HASH are read by the tests; a hash's $ is no expansion
# The suite's credentials, sourced by t/lib/tap.sh (so never source it yourself): every request
# of a test is signed in unless the test says otherwise (see api in tap.sh).
#
# Sign-ins are limited per client address by nginx (10 a minute, a burst of 10): each sign-in
# of the tests comes from an address of its own in 127.0.0.0/8 (curl --interface; Linux routes
# all of it to lo), so only the test of that limit meets it.

# The password of every account the tests make, and its Argon2id hash (crypto_pwhash_str,
# OPSLIMIT/MEMLIMIT_INTERACTIVE), so accounts can be made with psql.
AUTH_PW='correct horse battery'
AUTH_HASH='$argon2id$v=19$m=65536,t=2,p=1$LLhaoEqSUFoVpboxBIIByQ$nu9uyD3BDf4nLINDFJd8asrWL1vSZBLm8kkPUa3Y1vA'

# The suite's own admin account: it makes and reads the test data of every branch.
SUITE_LOGIN=fs-suite-admin

# any_addr: a random client address in 127.0.0.0/8 (never 127.0.0.1).
any_addr() { printf '127.%d.%d.%d\n' $((RANDOM % 250 + 2)) $((RANDOM % 250 + 1)) $((RANDOM % 250 + 1)); }

# The token once this process (and the subshells it forks) has checked it; never exported, so
# a test started from a shell that sourced this file checks the token itself.
SUITE_TOKEN=

# suite_token_load: set SUITE_TOKEN to a working token of the suite's admin. The one in
# $FIELDSYNC_VAR/suite-token when GET /api/session still takes it, else a fresh sign-in (the
# account made or repaired with psql first), cached there for the next test. 1 on failure.
# Call it outside $(...), or the check is repeated by every subshell.
suite_token_load() {
	local cache=${FIELDSYNC_VAR:-$FIELDSYNC_TOP/var}/suite-token tok
	[ -z "$SUITE_TOKEN" ] || return 0
	if [ -r "$cache" ]; then
		tok=$(cat "$cache")
		if suite_token_works "$tok"; then
			SUITE_TOKEN=$tok
			return 0
		fi
	fi
	suite_account || return 1
	tok=$(suite_sign_in) || return 1
	(umask 077 && printf '%s\n' "$tok" >"$cache.tmp.$$") && mv "$cache.tmp.$$" "$cache" || return 1
	SUITE_TOKEN=$tok
}

# suite_token: print the suite admin's token (see suite_token_load).
suite_token() { suite_token_load && printf '%s\n' "$SUITE_TOKEN"; }

# auth_header [TOKEN]: the Authorization header of TOKEN (default the suite's), for curl -H.
auth_header() {
	local tok=${1:-}
	if [ -z "$tok" ]; then
		suite_token_load || return 1
		tok=$SUITE_TOKEN
	fi
	printf 'Authorization: Bearer %s\n' "$tok"
}

# auth_param [TOKEN]: the same as FastCGI's parameter, for a binary run directly:
# env "$(auth_param)" REQUEST_METHOD=GET ... cgi-bin/clients.fcgi
auth_param() {
	local h
	h=$(auth_header "$@") || return 1
	printf 'HTTP_AUTHORIZATION=%s\n' "${h#Authorization: }"
}

# suite_token_works TOKEN: GET /api/session takes TOKEN as the suite's admin.
suite_token_works() {
	local out
	[ -n "$1" ] || return 1
	out=$(curl -sS --max-time 10 -H "Authorization: Bearer $1" "$FIELDSYNC_URL/api/session" 2>/dev/null) ||
		return 1
	jq -e --arg l "$SUITE_LOGIN" '.user.login == $l and any(.user.memberships[]; .role == "admin")' \
		<<<"$out" >/dev/null 2>&1
}

# suite_account: the suite's admin exists, is active, not held off, has AUTH_PW and the admin
# role (an unchanged hash ends no session: the trigger of 006 compares).
suite_account() {
	psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -v login="$SUITE_LOGIN" -v hash="$AUTH_HASH" \
		>/dev/null <<-'EOF' || { echo "# suite_token: cannot make the account $SUITE_LOGIN with psql" >&2; return 1; }
		with u as (
			insert into users (login, name, password_hash) values (:'login', 'Test suite admin', :'hash')
			on conflict (login) do update set status = 'active', failed_logins = 0, locked_until = null,
				password_hash = excluded.password_hash
			returning id)
		insert into memberships (user_id, branch, role) select id, '*', 'admin' from u
		on conflict do nothing;
	EOF
}

# suite_sign_in: POST /api/session as the suite's admin from an address of its own; prints the token.
suite_sign_in() {
	local body out tok
	body=$(jq -cn --arg l "$SUITE_LOGIN" --arg p "$AUTH_PW" '{login: $l, password: $p}')
	out=$(curl -sS --max-time 10 --interface "$(any_addr)" -H 'Content-Type: application/json' \
		--data-binary "$body" "$FIELDSYNC_URL/api/session")
	if ! tok=$(jq -er .token <<<"$out" 2>/dev/null) || [ -z "$tok" ]; then
		echo "# suite_token: the sign-in of $SUITE_LOGIN failed: ${out:-no answer}" >&2
		return 1
	fi
	printf '%s\n' "$tok"
}

# api_credentials ARGS...: set API_AUTH to the curl arguments api adds to ARGS (the caller's
# own curl arguments): none when API_TOKEN=none or when ARGS carry an Authorization or Cookie
# header (-H, --header) or a cookie (-b, --cookie); else the Authorization of API_TOKEN or,
# without it, of the suite's token.
api_credentials() {
	local a prev='' re='^[[:space:]]*(authorization|cookie)[[:space:]]*:'
	API_AUTH=()
	[ "${API_TOKEN:-}" != none ] || return 0
	for a in "$@"; do
		case $prev in -H | --header) [[ ${a,,} =~ $re ]] && return 0 ;; esac
		case $a in -b | --cookie | -b?*) return 0 ;; esac
		if [[ $a == -H?* ]]; then
			a=${a:2}
			[[ ${a,,} =~ $re ]] && return 0
		fi
		prev=$a
	done
	if [ -n "${API_TOKEN:-}" ]; then
		API_AUTH=(-H "Authorization: Bearer $API_TOKEN")
	elif suite_token_load; then
		API_AUTH=(-H "Authorization: Bearer $SUITE_TOKEN")
	else
		echo "# api: no suite token, the request goes without credentials" >&2
	fi
}
