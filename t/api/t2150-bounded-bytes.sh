#!/bin/bash
# Every page and every JSON field is bounded in bytes, not only in rows: a JSON field over
# max_json_field is 422; a list page or a feed page ends early at page_max_bytes (holding at
# least one row) and its Link / next goes on, every row exactly once across the pages.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

conf() { awk -F' *= *' -v k="$1" '$1 == k { v = $2 } END { print v }' "$FIELDSYNC_STACK_CONF"; }
FIELD_MAX=$(conf max_json_field) PAGE_MAX=$(conf page_max_bytes)
FIELD_MAX=${FIELD_MAX:-262144} PAGE_MAX=${PAGE_MAX:-4194304}
BR=$(new_branch)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t2150.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# big_body N [ID]: a campaign of BR whose details are N bytes of JSON as stored ({"blob":"xx…"}:
# N - 11 x's and 11 bytes around them) into $TMP/body, sent as @file (too long for an argument).
big_body() {
	sample campaigns "$BR" '{"details":null}'
	[ -n "${2:-}" ] && SAMPLE="{\"id\":\"$2\"}"
	{ printf '%s' "${SAMPLE%\}}"; printf ',"details":{"blob":"'; head -c "$(($1 - 11))" /dev/zero | tr '\0' x
	  printf '"}}'; } >"$TMP/body"
}

api GET /api/changes
head=$(jqb .next)
big_body $((FIELD_MAX + 1))
json POST /api/campaigns "@$TMP/body"
is_error 422 invalid_value details "details one byte over max_json_field ($FIELD_MAX) is 422"
is "$(branch_rows campaigns "$BR")" 0 "... and nothing is written"
big_body "$FIELD_MAX"
json POST /api/campaigns "@$TMP/body"
is_status 201 "details of exactly max_json_field bytes is taken"
id=$(jqb .id)
big_body $((FIELD_MAX + 1)) "$id"
json PUT /api/campaigns "@$TMP/body"
is_error 422 invalid_value details "a PUT over it is 422 too"

# Enough big rows that one page of 100 would pass page_max_bytes.
n=$((PAGE_MAX / FIELD_MAX + 4))
for i in $(seq 2 "$n"); do
	big_body "$FIELD_MAX"
	json POST /api/campaigns "@$TMP/body"
	[ "$STATUS" = 201 ] || { is_status 201 "big row $i"; break; }
done
is "$(branch_rows campaigns "$BR")" "$n" "$n rows of $FIELD_MAX bytes of details"

pages=0 seen=() biggest=0 path="/api/campaigns?branch=$BR&limit=100"
while [ -n "$path" ] && [ $pages -lt 50 ]; do
	api GET "$path"
	[ "$STATUS" = 200 ] || break
	pages=$((pages + 1))
	[ ${#BODY} -gt $biggest ] && biggest=${#BODY}
	mapfile -t ids < <(jqb '.[].id')
	seen+=("${ids[@]}")
	path=$(next_link)
done
is "$STATUS" 200 "every list page answers 200"
ok "$([ $pages -gt 1 ] && echo 0 || echo 1)" "a 100-row list of them comes in $pages pages"
ok "$([ $biggest -le $((PAGE_MAX + FIELD_MAX + 1024)) ] && echo 0 || echo 1)" \
	"... none over the bound by more than one row (largest $biggest bytes)"
is "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l) ${#seen[@]}" "$n $n" "... every row exactly once"

pages=0 events=0 biggest=0 since=$head more=true
while [ "$more" = true ] && [ $pages -lt 50 ]; do
	api GET "/api/changes?since=$since&limit=100&branch=$BR"
	[ "$STATUS" = 200 ] || break
	pages=$((pages + 1))
	[ ${#BODY} -gt $biggest ] && biggest=${#BODY}
	events=$((events + $(jqb '.changes | length')))
	since=$(jqb .next) more=$(jqb .more)
done
ok "$([ $pages -gt 1 ] && echo 0 || echo 1)" "the feed of them comes in $pages pages"
ok "$([ $biggest -le $((PAGE_MAX + FIELD_MAX + 1024)) ] && echo 0 || echo 1)" \
	"... none over the bound by more than one entry (largest $biggest bytes)"
is "$events" "$n" "... holding each create once"

done_testing
