# shellcheck shell=bash disable=SC2034  # STATUS, BODY, HEADERS, LAST_REQ are read by the tap.sh and lib-api.sh helpers
# The checks both Apache fronts pass (t8100-cgi.sh, t8110-fcgid.sh); source after
# lib-apache.sh and t/api/lib-api.sh, with Apache up.

# The API tests run through each front.
APACHE_API_TESTS="t2000-crud-every-resource.sh t2020-pagination.sh t2070-errors-body.sh
	t2080-errors-request.sh t2090-cors.sh"

# Apache's complaints about a script that did not read its body or was cut off.
APACHE_CUT_OFF='Broken pipe|reset by peer|AH02651|AH01215|AH00574|Premature end of script'

# cut_offs: how many such lines Apache's error log has.
cut_offs() { grep -cE "$APACHE_CUT_OFF" "$APACHE_DIR/error.log" || true; }

# raw_post CTYPE FILE [CURL ARGS...]: POST FILE to /api/clients through Apache with CTYPE;
# sets STATUS, BODY, HEADERS and CURL_RC (curl's exit status: 0 for a complete answer).
raw_post() {
	local ctype=$1 file=$2 hdr body; shift 2
	hdr=$(mktemp) body=$(mktemp)
	CURL_RC=0
	STATUS=$(curl -sS -o "$body" -D "$hdr" -w '%{http_code}' --max-time 20 -H "$(auth_header)" \
		-H "Content-Type: $ctype" --data-binary @"$file" "$@" "$APACHE_URL/api/clients" 2>/dev/null) ||
		CURL_RC=$?
	BODY=$(cat "$body") HEADERS=$(tr -d '\r' <"$hdr")
	LAST_REQ="POST /api/clients ($ctype, $(wc -c <"$file") bytes $*)"
	rm -f "$hdr" "$body"
}

# front_direct_checks LABEL: the cases that used to fail behind Apache, one by one.
front_direct_checks() {
	local label=$1 tmp br before next
	tmp=$(mktemp)
	br=$(new_branch)

	# A body the binary refuses unread (415) is still taken in full: the answer is complete,
	# Apache logs no broken pipe. 1.1 MB: over the pipe's and the socket's buffers.
	before=$(cut_offs)
	head -c 1100000 /dev/zero | tr '\0' ' ' >"$tmp"
	raw_post text/plain "$tmp"
	is_error 415 unsupported_media_type "" "$label: a 1.1 MB text/plain body is a complete JSON 415"
	is "$CURL_RC" 0 "$label: ... and the connection ends cleanly (curl exit status)"
	is "$(cut_offs)" "$before" "$label: ... and Apache logs no broken pipe or reset for it"

	# Over max_body (1 MiB), under the .htaccess's LimitRequestBody: the binary's JSON 413.
	jq -cn --arg b "$br" '{branch: $b, name: "too big", notes: ("x" * 1100000)}' >"$tmp"
	raw_post application/json "$tmp"
	is_error 413 payload_too_large "" "$label: a 1.1 MB JSON body is a JSON 413"
	like "$(jqb .error.message)" 'larger than 1048576' "$label: ... the binary's, which names its limit"
	is "$CURL_RC/$(cut_offs)" "0/$before" "$label: ... complete, and no broken pipe in Apache's log"

	# A chunked body (no Content-Length): read to its end.
	jq -cn --arg b "$br" '{branch: $b, name: "sent in chunks"}' >"$tmp"
	raw_post application/json "$tmp" -H 'Transfer-Encoding: chunked'
	is_status 201 "$label: a chunked body is accepted (201)"
	is "$(count_rows clients "branch = '$br' and name = 'sent in chunks'")" 1 "$label: ... and its row is written"
	jq -cn --arg b "$br" '{branch: $b, name: "chunked and too big", notes: ("x" * 1100000)}' >"$tmp"
	raw_post application/json "$tmp" -H 'Transfer-Encoding: chunked'
	is_error 413 payload_too_large "" "$label: a chunked body over 1 MiB is a JSON 413"
	is "$CURL_RC/$(cut_offs)" "0/$before" "$label: ... complete, and no broken pipe in Apache's log"

	# Link points at the public URL, not at the binary behind the rewrite.
	jq -cn --arg b "$br" '{branch: $b, name: "second row"}' >"$tmp"
	raw_post application/json "$tmp"
	api GET "/api/clients?branch=$br&limit=1"
	next=$(next_link)
	like "$next" "^/api/clients\\?" "$label: Link rel=next is /api/clients?..., the public URL"
	api GET "$next"
	is "$STATUS $(jqb length)" "200 1" "$label: ... and following it gives the next page"

	# The config named in the .htaccess is the one the binaries run with: its own origin is
	# allowed, and its database URL is the only one they have (Apache runs with a clean
	# environment).
	api GET "/api/clients?branch=$br&limit=1" -H "Origin: $APACHE_ONLY_ORIGIN"
	is "$STATUS $(header Access-Control-Allow-Origin)" "200 $APACHE_ONLY_ORIGIN" \
		"$label: the config set in .htaccess reaches the binaries (its own CORS origin)"
	# A client cannot name another config: its header arrives as HTTP_FIELDSYNC_CONF.
	api GET "/api/clients?branch=$br&limit=1" -H "Fieldsync-Conf: /nonexistent.conf" \
		-H "Origin: $APACHE_ONLY_ORIGIN"
	is "$STATUS $(header Access-Control-Allow-Origin)" "200 $APACHE_ONLY_ORIGIN" \
		"$label: a Fieldsync-Conf request header changes nothing"
	rm -f "$tmp"
}

# front_checks LABEL: the API tests through APACHE_URL, then the direct checks, then Apache's
# log over the whole run.
front_checks() {
	local label=$1 t before
	before=$(cut_offs)
	for t in $APACHE_API_TESTS; do
		api_test_through "$t" "$label"
	done
	note "$label: the API tests: $APACHE_TOTAL_PASS passed, $APACHE_TOTAL_FAIL failed, $APACHE_TOTAL_SKIP skipped"
	front_direct_checks "$label"
	if ! is "$(cut_offs)" "$before" "$label: Apache's error log has no broken pipe, reset or cut-off script"; then
		grep -E "$APACHE_CUT_OFF" "$APACHE_DIR/error.log" | head -n 5 | cut -c1-300 | sed 's/^/#   /' >&2
	fi
}
