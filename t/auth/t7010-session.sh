#!/bin/bash
# /api/session: sign in (token, cookie), who am I (Bearer, cookie), sign out; the same
# answer and cost for a wrong password and an unknown login; disabled, expired and idle
# sessions; the per-account hold-off; nginx's per-address limit; the CSRF rule.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-auth.sh"
require_stack

S=/api/session
rep=$(new_login)
rep_id=$(add_user "$rep" "$AUTH_HASH" rep north manager south) || bail_out "cannot add a user with psql"

# --- signing in
login "$rep" "$AUTH_PW"
is "$STATUS" 201 "sign-in answers 201"
like "$TOKEN" '^[A-Za-z0-9_-]{43}$' "the token is 43 base64url characters"
is "$(jq -c '[.user.id, .user.login, .user.memberships]' <<<"$BODY")" \
	"[\"$rep_id\",\"$rep\",[{\"branch\":\"north\",\"role\":\"rep\"},{\"branch\":\"south\",\"role\":\"manager\"}]]" \
	"the answer names the user and their memberships"
like "$(jq -r .expires_at <<<"$BODY")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "and when the session expires"
cookie=$(header Set-Cookie)
like "$cookie" "^fieldsync_session=$TOKEN;" "Set-Cookie carries the token"
for attr in HttpOnly SameSite=Strict Path=/ Max-Age=5184000; do
	like "$cookie" "; $attr(;|\$)" "the cookie has $attr"
done
ok "$([[ $cookie != *Secure* ]]; echo $?)" "no Secure over plain http"
is "$(jq -r 'has("password") or (.user | has("password_hash"))' <<<"$BODY")" false "no password in the answer"

# --- only a hash is stored
is "$(sql "select count(*) from sessions where user_id = '$rep_id' and length(token_hash) = 32")" 1 \
	"one session row, its token_hash 32 bytes"
is "$(sql "select count(*) from sessions where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))")" 1 \
	"token_hash is the SHA-256 of the token"
is "$(sql "select count(*) from sessions s where position(convert_to('$TOKEN', 'UTF8') in s.token_hash) > 0
	or row(s.*)::text like '%$TOKEN%'")" 0 "the token itself is stored nowhere in sessions"

# --- who am I
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS $(jq -r .user.login <<<"$BODY")" "200 $rep" "GET with Bearer names the user"
api GET $S -H "Cookie: other=1; fieldsync_session=$TOKEN"
is "$STATUS $(jq -r .user.login <<<"$BODY")" "200 $rep" "GET with the cookie names the user"
API_TOKEN=none api GET $S
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 unauthenticated" "GET with no session: 401 unauthenticated"
is "$(header WWW-Authenticate)" Bearer "  with WWW-Authenticate: Bearer"
api GET $S -H "Authorization: Bearer ${TOKEN%?}x"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 unauthenticated" "a forged token: 401"
api GET $S -H "Authorization: Basic Zm9vOmJhcg==" -H "Cookie: fieldsync_session=$TOKEN"
is "$STATUS" 401 "a broken Authorization header is not rescued by the cookie"

# --- CSRF: a change made with the cookie needs an allowed Origin or X-Requested-With
api DELETE $S -H "Cookie: fieldsync_session=$TOKEN" -H "Origin: https://evil.example"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "403 csrf_failed" "DELETE with the cookie from a foreign Origin: 403 csrf_failed"
api DELETE $S -H "Cookie: fieldsync_session=$TOKEN"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "403 csrf_failed" "  and with no Origin at all"
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS" 200 "  the session still works"

# --- signing out
api DELETE $S -H "Cookie: fieldsync_session=$TOKEN" -H "X-Requested-With: fieldsync" -H "Origin: https://evil.example"
is "$STATUS" 204 "DELETE with the cookie and X-Requested-With: fieldsync: 204"
like "$(header Set-Cookie)" '^fieldsync_session=; .*Max-Age=0' "  the cookie is cleared"
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS" 401 "  the next GET is 401"
is "$(sql "select count(*) from sessions where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))")" 0 "  the row is gone"
login "$rep" "$AUTH_PW"
t2=$TOKEN
api DELETE $S -H "Authorization: Bearer $t2"
is "$STATUS" 204 "DELETE with Bearer needs no CSRF header"
api GET $S -H "Authorization: Bearer $t2"
is "$STATUS" 401 "  and ends that session"

# --- wrong password and unknown login: the same answer
login "$rep" "not the password"
wrong_status=$STATUS wrong_body=$BODY wrong_auth=$(header WWW-Authenticate)
login "nobody-$(uniq_token)" "$AUTH_PW"
is "$wrong_status $(jq -r .error.code <<<"$wrong_body")" "401 invalid_credentials" "a wrong password: 401 invalid_credentials"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 invalid_credentials" "an unknown login: 401 invalid_credentials"
is "$BODY" "$wrong_body" "  the two bodies are identical"
is "$wrong_auth $(header WWW-Authenticate)" "Bearer Bearer" "  both carry WWW-Authenticate: Bearer"
is "$(sql "select failed_logins from users where id = '$rep_id'")" 1 "the wrong password was counted"

# --- and about the same time (median of 5 each within a factor of 3)
# time_login LOGIN: seconds one sign-in with a wrong password took.
time_login() {
	curl -s -o /dev/null -w '%{time_total}\n' --interface "$(any_addr)" -H 'Content-Type: application/json' \
		--data-binary "{\"login\":\"$1\",\"password\":\"wrong password\"}" "$FIELDSYNC_URL$S"
}
median() { sort -n | sed -n 3p; }
timer=$(new_login)
add_user "$timer" >/dev/null
t_wrong=$(for _ in 1 2 3 4 5; do time_login "$timer"; done | median)
t_unknown=$(for _ in 1 2 3 4 5; do time_login "nobody-$(uniq_token)"; done | median)
sql "update users set failed_logins = 0, locked_until = null where login = '$timer'" >/dev/null
ok "$(awk -v a="$t_wrong" -v b="$t_unknown" 'BEGIN { exit !(a > 0 && b > 0 && a <= 3 * b && b <= 3 * a) }'; echo $?)" \
	"an unknown login costs about what a wrong password does (medians ${t_unknown}s, ${t_wrong}s)"
ok "$(awk -v b="$t_unknown" 'BEGIN { exit !(b >= 0.01) }'; echo $?)" "  an unknown login is verified against a hash too (${t_unknown}s)"

# --- disabled, expired, idle
off=$(new_login)
off_id=$(add_user "$off")
login "$off" "$AUTH_PW"
off_token=$TOKEN
sql "update users set status = 'disabled' where id = '$off_id'" >/dev/null
login "$off" "$AUTH_PW"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 invalid_credentials" "a disabled account cannot sign in (right password)"
is "$BODY" "$wrong_body" "  with the same body as a wrong password"
api GET $S -H "Authorization: Bearer $off_token"
is "$STATUS" 401 "  and its session is gone"

login "$rep" "$AUTH_PW"
sql "update sessions set expires_at = now() - interval '1 second' where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))" >/dev/null
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 unauthenticated" "an expired session: 401"
login "$rep" "$AUTH_PW"
sql "update sessions set last_seen = now() - interval '14 days' - interval '1 minute' where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))" >/dev/null
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "401 unauthenticated" "an idle session (last_seen 14 days ago): 401"
login "$rep" "$AUTH_PW"
sql "update sessions set last_seen = now() - interval '13 days' where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))" >/dev/null
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS" 200 "a session used 13 days ago still works"
is "$(sql "select last_seen > now() - interval '1 minute' from sessions where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))")" t \
	"  and its use touched last_seen"

# --- per account: a hold-off after login_max_failures failures (5)
bf=$(new_login)
bf_id=$(add_user "$bf")
for i in 1 2 3 4 5; do
	login "$bf" "wrong $i"
	codes+="$STATUS "
done
is "$codes" "401 401 401 401 401 " "five wrong passwords: 401 each"
login "$bf" "$AUTH_PW"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "429 rate_limited" "then even the right password is 429 rate_limited"
like "$(header Retry-After)" '^[1-9][0-9]*$' "  with Retry-After"
is "$(sql "select failed_logins, locked_until > now() - interval '2 seconds' from users where id = '$bf_id'")" "5|t" \
	"  the account holds 5 failures and a hold-off"
sql "update users set locked_until = now() + interval '60 seconds' where id = '$bf_id'" >/dev/null
until_before=$(sql "select locked_until from users where id = '$bf_id'")
login "$bf" "wrong again"
is "$STATUS" 429 "while held off, a wrong password is 429 too"
retry=$(header Retry-After)
ok "$( [ "$retry" -ge 55 ] && [ "$retry" -le 60 ]; echo $?)" "  Retry-After says the seconds left ($retry)"
is "$(sql "select locked_until, failed_logins from users where id = '$bf_id'")" "$until_before|5" \
	"  attempts while held off neither extend the hold-off nor count"
sql "update users set locked_until = now() - interval '1 second' where id = '$bf_id'" >/dev/null
login "$bf" "wrong once more"
is "$STATUS" 401 "after the hold-off a wrong password is 401 again"
is "$(sql "select failed_logins, extract(epoch from locked_until - now()) between 1 and 2.5 from users where id = '$bf_id'")" \
	"6|t" "  and the next hold-off is twice as long (2 s)"
sql "update users set locked_until = now() - interval '1 second' where id = '$bf_id'" >/dev/null
login "$bf" "$AUTH_PW"
is "$STATUS" 201 "after the hold-off the right password works"
is "$(sql "select failed_logins, locked_until is null from users where id = '$bf_id'")" "0|t" "  and resets the count"

# --- per address: nginx's limit (10 a minute, a burst of 10)
addr=$(any_addr)
codes=$(for _ in $(seq 30); do
	curl -s -o /dev/null -w '%{http_code}\n' --interface "$addr" -H 'Content-Type: application/json' \
		--data-binary '{"login":"nobody","password":"x"}' "$FIELDSYNC_URL$S"
done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
like "$codes" '^401:1[01] 429:(19|20) $' "30 sign-ins from one address at once: 11 pass, the rest 429 ($codes)"
API_TOKEN=none json POST $S '{"login":"nobody","password":"x"}' --interface "$addr"
is "$STATUS $(jq -r '.error.status, .error.code' <<<"$BODY" | tr '\n' ' ')" "429 429 rate_limited " \
	"  nginx's 429 is the API's JSON error"
like "$(header Content-Type)" '^application/json' "  as JSON"
like "$(header Retry-After)" '^[0-9]+$' "  with Retry-After"
is "$(header Cache-Control)" no-store "  and the API's headers"
API_TOKEN=none api GET $S --interface "$addr"
is "$STATUS" 401 "GET /api/session from that address is not limited"

# --- HTTPS: the cookie is Secure (plain CGI mode, as behind a TLS front)
cgi() {
	local body=$1; shift
	printf '%s' "$body" | env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" FIELDSYNC_CONF="$FIELDSYNC_STACK_CONF" \
		REQUEST_METHOD=POST CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} "$@" \
		"$FIELDSYNC_TOP/cgi-bin/session.fcgi" | tr -d '\r'
}
out=$(cgi "{\"login\":\"$rep\",\"password\":\"$AUTH_PW\"}" HTTPS=on)
like "$(sed -n 1p <<<"$out")" '^Status: 201' "CGI mode with HTTPS=on: 201"
like "$(grep -i '^Set-Cookie:' <<<"$out")" '; Secure$' "  the cookie is Secure"
out=$(cgi "{\"login\":\"$rep\",\"password\":\"$AUTH_PW\"}")
ok "$(grep -i '^Set-Cookie:' <<<"$out" | grep -q Secure; echo $((!$?)))" "  and without HTTPS it is not"

# --- a rehash on sign-in ends no session
old=$(new_login)
old_id=$(add_user "$old" "$AUTH_WEAK_HASH")
login "$old" "$AUTH_PW"
is "$STATUS" 201 "an account with an old, weaker hash signs in"
like "$(sql "select password_hash from users where id = '$old_id'")" '^\$argon2id\$v=19\$m=65536,t=2,' "  its hash is renewed"
api GET $S -H "Authorization: Bearer $TOKEN"
is "$STATUS" 200 "  and the new session survives the rehash"

# --- the front line
API_TOKEN=none json POST $S "{\"login\":\"$rep\",\"password\":\"$(head -c 5000 /dev/zero | tr '\0' a)\"}" --interface "$(any_addr)"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "413 payload_too_large" "a sign-in body over 4 KiB: 413"
API_TOKEN=none api POST $S --interface "$(any_addr)" -d "login=$rep&password=x"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "415 unsupported_media_type" "a form post: 415 (a cross-site form cannot sign in)"
API_TOKEN=none json POST $S '{"login":"a","login":"b","password":"x"}' --interface "$(any_addr)"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 malformed_json" "a key given twice: 400"
API_TOKEN=none json POST $S '{"login":"a","password":"x","remember":true}' --interface "$(any_addr)"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "400 unknown_field" "an unknown field: 400"
API_TOKEN=none json POST $S '{"login":"a"}' --interface "$(any_addr)"
is "$STATUS $(jq -r .error.code <<<"$BODY")" "422 missing_field" "no password: 422"
api PATCH $S -H "Authorization: Bearer $TOKEN"
is "$STATUS" 405 "PATCH: 405"

done_testing
