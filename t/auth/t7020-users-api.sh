#!/bin/bash
# /api/users: admins list, create, update and disable accounts; others 403, no session 401;
# the password hash is in no answer; a new password ends that user's sessions; memberships
# are replaced whole.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-auth.sh"
require_stack

U=/api/users
admin=$(new_login)
admin_cli="$FIELDSYNC_TOP/sql/fieldsync-admin"
if [ -x "$admin_cli" ]; then
	printf '%s\n' "$AUTH_PW" | "$admin_cli" --database "$DATABASE_URL" user add "$admin" --role admin \
		--password-stdin >/dev/null || bail_out "fieldsync-admin cannot add an admin"
else
	add_user "$admin" "$AUTH_HASH" admin '*' >/dev/null || bail_out "cannot add an admin with psql"
fi
login "$admin" "$AUTH_PW"
[ "$STATUS" = 201 ] || bail_out "the admin cannot sign in ($STATUS $BODY)"
A=(-H "Authorization: Bearer $TOKEN")
admin_cookie=$TOKEN
# no_password: true when the last answer holds no password and no hash.
no_password() { [[ $BODY != *password* && $BODY != *argon2* ]]; }

# --- who may
API_TOKEN=none api GET $U
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 unauthenticated" "no session: 401 unauthenticated"
is "$(header WWW-Authenticate)" Bearer "  with WWW-Authenticate: Bearer"
api GET $U "${A[@]}"
is "$STATUS" 200 "an admin lists the users"
is "$(jq -r --arg l "$admin" '[.[] | select(.login == $l)][0].memberships | tostring' <<<"$BODY")" \
	'[{"branch":"*","role":"admin"}]' "  the admin is among them, as admin of every branch"
ok "$(no_password; echo $?)" "  the list holds no password hash"

# --- create
rep=$(new_login)
json POST $U "{\"login\":\"$rep\",\"name\":\"Rep One\",\"password\":\"$AUTH_PW\",
	\"memberships\":[{\"branch\":\"south\",\"role\":\"manager\"},{\"branch\":\"north\",\"role\":\"rep\"}]}" "${A[@]}"
is "$STATUS" 201 "POST creates a user: 201"
rep_id=$(jq -r .id <<<"$BODY")
is "$(jq -c '[.login, .name, .status, .version, .memberships]' <<<"$BODY")" \
	"[\"$rep\",\"Rep One\",\"active\",1,[{\"branch\":\"north\",\"role\":\"rep\"},{\"branch\":\"south\",\"role\":\"manager\"}]]" \
	"  the answer is the new user with its memberships"
ok "$(no_password; echo $?)" "  and holds no password hash"
like "$(sql "select password_hash from users where id = '$rep_id'")" '^\$argon2id\$' "  the password is stored as an Argon2id hash"
api GET "$U?id=$rep_id" "${A[@]}"
is "$STATUS $(jq -r .login <<<"$BODY")" "200 $rep" "GET ?id= answers one user"
ok "$(no_password; echo $?)" "  without its password hash"
api GET "$U?id=$(uuid)" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "404 not_found" "an unknown id: 404"
api GET "$U?id=nope" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 invalid_format" "a malformed id: 400"
api GET "$U?login=x" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 unknown_parameter" "another parameter: 400"

# --- refusals
json POST $U "{\"login\":\"$rep\",\"password\":\"$AUTH_PW\"}" "${A[@]}"
is "$STATUS $(jq -r '.error.code + " " + .error.field' <<<"$BODY")" "409 duplicate_value login" "a taken login: 409"
json POST $U "{\"login\":\"$(new_login)\",\"password\":\"short\"}" "${A[@]}"
is "$STATUS $(jq -r '.error.code + " " + .error.field' <<<"$BODY")" "422 invalid_value password" "a short password: 422"
json POST $U "{\"login\":\"Not Valid\",\"password\":\"$AUTH_PW\"}" "${A[@]}"
is "$STATUS $(jq -r '.error.code + " " + .error.field' <<<"$BODY")" "422 invalid_value login" "a malformed login: 422"
json POST $U "{\"login\":\"$(new_login)\",\"password\":\"$AUTH_PW\",\"memberships\":[{\"branch\":\"x\",\"role\":\"boss\"}]}" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "422 invalid_value" "an unknown role: 422"
json POST $U "{\"login\":\"$(new_login)\",\"password\":\"$AUTH_PW\",\"memberships\":[{\"role\":\"rep\"}]}" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "422 missing_field" "a rep without a branch: 422"
json POST $U "{\"login\":\"$(new_login)\",\"password\":\"$AUTH_PW\",\"password_hash\":\"x\"}" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 unknown_field" "password_hash cannot be sent: 400"
json POST $U "{\"login\":\"$(new_login)\",\"password\":\"$AUTH_PW\"}" -H "Cookie: fieldsync_session=$admin_cookie" \
	-H "Origin: https://evil.example"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "403 csrf_failed" "a change with the admin's cookie from a foreign Origin: 403"

# --- a non-admin
login "$rep" "$AUTH_PW"
rep_token=$TOKEN
R=(-H "Authorization: Bearer $rep_token")
api GET $U "${R[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "403 forbidden" "a non-admin listing users: 403 forbidden"
json POST $U "{\"login\":\"$(new_login)\",\"password\":\"$AUTH_PW\"}" "${R[@]}"
is "$STATUS" 403 "a non-admin creating a user: 403"
json PUT $U "{\"id\":\"$rep_id\",\"memberships\":[{\"role\":\"admin\"}]}" "${R[@]}"
is "$STATUS" 403 "a non-admin making themselves admin: 403"

# --- update: memberships replaced whole
json PUT $U "{\"id\":\"$rep_id\",\"name\":\"Rep Renamed\",\"memberships\":[{\"branch\":\"east\",\"role\":\"hr\"},{\"branch\":\"north\",\"role\":\"rep\"}]}" "${A[@]}"
is "$STATUS" 200 "PUT changes a user: 200"
is "$(jq -c '[.name, .version, .memberships]' <<<"$BODY")" \
	'["Rep Renamed",2,[{"branch":"east","role":"hr"},{"branch":"north","role":"rep"}]]' \
	"  the memberships are replaced whole, the name changed"
ok "$(no_password; echo $?)" "  and the answer holds no password hash"
is "$(sql "select string_agg(branch || ':' || role, ' ' order by branch) from memberships where user_id = '$rep_id'")" \
	"east:hr north:rep" "  the database holds exactly the new memberships"
api GET /api/session "${R[@]}"
is "$STATUS" 200 "  a change of name and memberships ends no session"
json PUT $U "{\"id\":\"$rep_id\",\"memberships\":[]}" "${A[@]}"
is "$(jq -c .memberships <<<"$BODY")" '[]' "PUT with [] removes every membership"
json PUT $U "{\"id\":\"$(uuid)\",\"name\":\"x\"}" "${A[@]}"
is "$STATUS" 404 "PUT of an unknown id: 404"
json PUT $U '{"name":"x"}' "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 missing_id" "PUT without id: 400"
json PUT $U "{\"id\":\"$rep_id\",\"status\":\"gone\"}" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "422 invalid_value" "a bad status: 422"

# --- a new password ends the user's sessions
newpw="another long password"
json PUT $U "{\"id\":\"$rep_id\",\"password\":\"$newpw\"}" "${A[@]}"
is "$STATUS" 200 "PUT with a new password: 200"
ok "$(no_password; echo $?)" "  the answer holds no password hash"
api GET /api/session "${R[@]}"
is "$STATUS" 401 "  the user's session has ended"
login "$rep" "$AUTH_PW"
is "$STATUS" 401 "  the old password no longer works"
login "$rep" "$newpw"
is "$STATUS" 201 "  the new one does"
rep_token=$TOKEN
api GET /api/session "${A[@]}"
is "$STATUS" 200 "  and the admin's own session is untouched"

# --- disable
api DELETE "$U?id=$rep_id" "${A[@]}"
is "$STATUS" 204 "DELETE ?id= disables the user: 204"
is "$(sql "select status from users where id = '$rep_id'")" disabled "  the row stays, disabled"
api GET /api/session -H "Authorization: Bearer $rep_token"
is "$STATUS" 401 "  its sessions have ended"
login "$rep" "$newpw"
is "$STATUS" 401 "  and it cannot sign in"
api DELETE "$U" "${A[@]}"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 missing_id" "DELETE without ?id=: 400"
json PUT $U "{\"id\":\"$rep_id\",\"status\":\"active\"}" "${A[@]}"
is "$STATUS $(jq -r .status <<<"$BODY")" "200 active" "PUT status active enables it again"
login "$rep" "$newpw"
is "$STATUS" 201 "  and it can sign in"

done_testing
