#!/bin/bash
# Security headers: the demo page's Content-Security-Policy (its own scripts only, no framing),
# nosniff and Referrer-Policy on the page and on every API answer, the worker's and nginx's own
# JSON answers alike, which are never cached.
. "$(dirname "$0")/../lib/tap.sh"
require_stack

# head_of PATH [CURL ARGS...]: the response headers of GET PATH, lower-cased names.
head_of() {
	local path=$1
	shift
	curl -s -o /dev/null -D - --max-time 10 "$@" "$FIELDSYNC_URL$path" | tr -d '\r' |
		awk -F': ' 'NF > 1 { print tolower($1) ": " substr($0, length($1) + 3) }'
}
has() { grep -qixF -- "$2" <<<"$1"; }
value() { awk -F': ' -v n="$2" '$1 == n { print substr($0, length($1) + 3); exit }' <<<"$1"; }

page=$(head_of /)
csp=$(value "$page" content-security-policy)
like "$csp" "script-src 'self'( |;|$)" "the page allows only its own scripts"
unlike_inline=$([[ $csp == *unsafe-inline* || $csp == *unsafe-eval* ]] && echo 1 || echo 0)
ok "$unlike_inline" "... never inline script or eval"
like "$csp" "frame-ancestors 'none'" "the page may not be framed"
like "$csp" "object-src 'none'" "... nor embed plugins"
ok "$(has "$page" "x-content-type-options: nosniff" && echo 0 || echo 1)" "the page is nosniff"
ok "$(has "$page" "referrer-policy: no-referrer" && echo 0 || echo 1)" "the page sends no Referer"
ok "$(has "$(head_of /fieldsync.js)" "x-content-type-options: nosniff" && echo 0 || echo 1)" \
	"its scripts are nosniff"

for what in "worker:/api/clients?limit=1:auth" "worker 401:/api/clients?limit=1:" \
	"nginx 404:/api/no-such-resource:"; do
	IFS=: read -r name path auth <<<"$what"
	if [ -n "$auth" ]; then h=$(head_of "$path" -H "$(auth_header)"); else h=$(head_of "$path"); fi
	ok "$(has "$h" "x-content-type-options: nosniff" && echo 0 || echo 1)" "$name answer: nosniff"
	ok "$(has "$h" "cache-control: no-store" && echo 0 || echo 1)" "$name answer: Cache-Control no-store"
	like "$(value "$h" content-security-policy)" "default-src 'none'; frame-ancestors 'none'" \
		"$name answer: nothing runs in it, nothing frames it"
	ok "$(has "$h" "referrer-policy: no-referrer" && echo 0 || echo 1)" "$name answer: Referrer-Policy"
done

done_testing
