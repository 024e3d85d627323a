#!/bin/bash
# Revocation reaches open streams: a stream opened with a session is closed within 2 s,
# with a final "revoked" event saying why, when that session ends (logout), its account is
# disabled or its password changes, or its memberships change. Another session of the same
# user keeps its stream; a stream with bad credentials never opens.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
# shellcheck source=lib-realtime.sh
. "$(dirname "$0")/lib-realtime.sh"

require_relay
branch=$(new_branch)

# signed_in_stream NAME LOGIN: sign LOGIN in and open stream NAME with its token; sets STREAM_TOKEN.
# First the relay reads the auth changes made so far (the account's, its memberships'), so
# that the change each check makes is the only one its stream is rechecked for.
signed_in_stream() {
	wait_until 5 auth_followed || bail_out "the relay did not follow auth_changes"
	login "$2" "$AUTH_PW"
	STREAM_TOKEN=$TOKEN
	[ -n "$STREAM_TOKEN" ] || bail_out "sign-in of $2 failed: $BODY"
	subscribe "$1" "$FIELDSYNC_URL/events" -H "Authorization: Bearer $STREAM_TOKEN"
	wait_ready "$1" || bail_out "stream $1 did not start"
}
# revoked_within NAME WHY: stream NAME got "revoked" with reason WHY and ended, within 2 s.
revoked_within() {
	local t0=$EPOCHREALTIME
	wait_until 2.5 sub_ended "$1" && has_event "$1" revoked "\"reason\":\"$2\""
	local rc=$?
	diag "$1: $(since "$t0") s"
	return $rc
}

ann=$(new_login)
add_user "$ann" "$AUTH_HASH" rep "$branch" >/dev/null || bail_out "cannot add $ann"

signed_in_stream keep "$ann"
keep_token=$STREAM_TOKEN
signed_in_stream out "$ann"
api DELETE /api/session -H "Authorization: Bearer $STREAM_TOKEN"
is "$STATUS" 204 "logout answers 204"
ok "$(revoked_within out logout; echo $?)" "logout: that session's stream gets 'revoked' (logout) and ends within 2 s"
ok "$(sub_running keep; echo $?)" "the same user's other session keeps its stream"

sql "delete from memberships where user_id = (select id from users where login = '$ann')" >/dev/null
ok "$(revoked_within keep rights_changed; echo $?)" \
	"a membership removed: the stream gets 'revoked' (rights_changed) and ends within 2 s"
api GET /api/session -H "Authorization: Bearer $keep_token"
is "$STATUS" 200 "... the session itself goes on, with the narrower rights"

sql "insert into memberships (user_id, branch, role) select id, '$branch', 'rep' from users where login = '$ann'" >/dev/null
signed_in_stream pw "$ann"
printf '%s\n' 'an entirely new password' | "$FIELDSYNC_TOP/sql/fieldsync-admin" user passwd "$ann" --password-stdin >/dev/null
ok "$(revoked_within pw password_changed; echo $?)" "a password change: 'revoked' (password_changed) within 2 s"

sql "update users set password_hash = '$AUTH_HASH' where login = '$ann'" >/dev/null
signed_in_stream off "$ann"
"$FIELDSYNC_TOP/sql/fieldsync-admin" user disable "$ann" >/dev/null
ok "$(revoked_within off disabled; echo $?)" "the account disabled: 'revoked' (disabled) within 2 s"

# A stream ends with its session's absolute lifetime.
sql "update users set status = 'active' where login = '$ann'" >/dev/null
wait_until 5 auth_followed || bail_out "the relay did not follow auth_changes"
login "$ann" "$AUTH_PW"
sql "update sessions set expires_at = now() + interval '2 seconds'
	where user_id = (select id from users where login = '$ann')" >/dev/null
subscribe late "$FIELDSYNC_URL/events" -H "Authorization: Bearer $TOKEN"
wait_ready late || bail_out "stream late did not start"
ok "$(wait_until 4 sub_ended late && has_event late revoked '"reason":"expired"'; echo $?)" \
	"a stream ends with 'revoked' (expired) when its session's lifetime is over"

api GET /events -H "Authorization: Bearer ${keep_token}" --max-time 3
is "$STATUS,$(jq -r .error.code <<<"$BODY")" "401,unauthenticated" "a stream with an ended session is refused, never anonymous"
api GET /events -H "Authorization: Bearer short" --max-time 3
is "$STATUS,$(jq -r .error.code <<<"$BODY")" "401,unauthenticated" "a malformed token is refused"

done_testing
