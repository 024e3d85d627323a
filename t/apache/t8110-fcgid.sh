#!/bin/bash
# The API on a shared Apache host under mod_fcgid: the same binaries as persistent FastCGI
# processes, configured by the .htaccess alone (the config path arrives as a request
# parameter), passing the same tests as t8100-cgi.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-apache.sh"
apache_front fcgid
front_checks fcgid

# A host that keeps mod_fcgid's default FcgidMaxRequestLen (128 KiB, server config only): with
# the .htaccess's limit and the config's max_body lowered to it, a larger body is a JSON 413,
# not mod_fcgid's HTML 500.
apache_down
FCGID_MAX_REQUEST_LEN=131072 APACHE_BODY_LIMIT=131072 apache_up fcgid "$APACHE_PORT"
tmp=$(mktemp)
jq -cn --arg b "$(new_branch)" '{branch: $b, name: "200 kB", notes: ("x" * 200000)}' >"$tmp"
raw_post application/json "$tmp"
is_error 413 payload_too_large "" "fcgid, FcgidMaxRequestLen 128 KiB: a 200 kB body is a JSON 413"
jq -cn --arg b "$(new_branch)" '{branch: $b, name: "100 kB", notes: ("x" * 100000)} | [range(20) as $i | {branch, name: "\(.name) \($i)", notes: .notes[0:5000]}]' >"$tmp"
raw_post application/json "$tmp"
is_status 201 "fcgid, FcgidMaxRequestLen 128 KiB: a 100 kB body is written"
rm -f "$tmp"
done_testing
