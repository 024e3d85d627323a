#!/bin/bash
# The optional front door: with [auth] trusted_header set, the login nginx puts in that
# FastCGI parameter (after its own SSO, auth_request) is the request's user; never a client
# header (HTTP_*), never without the setting, never an unknown or disabled account; and a
# change made that way passes the CSRF rule like a cookie. Plain CGI sets the parameters
# exactly as nginx would.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-auth.sh
. "$(dirname "$0")/lib-auth.sh"

require_stack
top=$FIELDSYNC_TOP
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[auth]\ntrusted_header = REMOTE_USER\n' >"$tmp/trusted.conf"
printf '[auth]\ntrusted_header = HTTP_X_USER\n' >"$tmp/client-header.conf"
branch=$(new_branch)
ann=$(new_login) gone=$(new_login)
add_user "$ann" "$AUTH_HASH" rep "$branch" >/dev/null || bail_out "cannot add $ann"
add_user "$gone" "$AUTH_HASH" rep "$branch" >/dev/null || bail_out "cannot add $gone"
sql "update users set status = 'disabled' where login = '$gone'" >/dev/null

# who CONF VAR=VALUE...: GET /api/session through plain CGI with CONF; sets OUT.
who() {
	local conf=$1; shift
	OUT=$(env "$@" FIELDSYNC_CONF="$conf" REQUEST_METHOD=GET QUERY_STRING= \
		"$top/cgi-bin/session.fcgi" </dev/null 2>&1)
}

who "$tmp/trusted.conf" REMOTE_USER="$ann"
like "$OUT" 'Status: 200' "the front door's login is the user"
like "$OUT" "\"login\":\"$ann\"" "... named in the answer, with its memberships" &&
	like "$OUT" "\"branch\":\"$branch\"" "... and its branch"
who "$tmp/trusted.conf" REMOTE_USER="nobody-$(uniq_token)"
like "$OUT" 'Status: 401' "an unknown login is 401"
who "$tmp/trusted.conf" REMOTE_USER="$gone"
like "$OUT" 'Status: 401' "a disabled account is 401"
who "$tmp/trusted.conf" HTTP_REMOTE_USER="$ann"
like "$OUT" 'Status: 401' "a client's own Remote-User header is not the parameter"
who /dev/null REMOTE_USER="$ann"
like "$OUT" 'Status: 401' "without trusted_header the parameter means nothing"
OUT=$(env FIELDSYNC_CONF="$tmp/client-header.conf" REQUEST_METHOD=GET QUERY_STRING= \
	"$top/cgi-bin/session.fcgi" </dev/null 2>&1)
rc=$?
ok $((rc == 0)) "trusted_header naming a client header (HTTP_*) stops the binary at start"
like "$OUT" 'trusted_header' "... saying which key"

body="{\"branch\":\"$branch\",\"name\":\"via the front door\"}"
before=$(sql "select count(*) from clients where branch = '$branch'")
OUT=$(printf '%s' "$body" | env FIELDSYNC_CONF="$tmp/trusted.conf" REMOTE_USER="$ann" \
	HTTP_ORIGIN=http://evil.example REQUEST_METHOD=POST QUERY_STRING= \
	CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} "$top/cgi-bin/clients.fcgi" 2>&1)
like "$OUT" 'csrf_failed' "a change through the front door from a foreign Origin fails the CSRF check"
is "$(sql "select count(*) from clients where branch = '$branch'")" "$before" "... and writes nothing"
OUT=$(printf '%s' "$body" | env FIELDSYNC_CONF="$tmp/trusted.conf" REMOTE_USER="$ann" \
	HTTP_X_REQUESTED_WITH=fieldsync REQUEST_METHOD=POST QUERY_STRING= \
	CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} "$top/cgi-bin/clients.fcgi" 2>&1)
like "$OUT" 'Status: 201' "with X-Requested-With it writes"
is "$(sql "select u.login from clients c join users u on u.id = c.created_by
	where c.branch = '$branch' and c.name = 'via the front door'")" "$ann" "... as that user (created_by)"

done_testing
