#!/bin/sh
# locations.sh BINDIR RUN [upstreams]: the nginx snippet's location list, one line per
# FastCGI binary:
#     location = /api/<path> { fastcgi_pass fieldsync_<path>; }
# for every BINDIR/*.fcgi, <path> from its `--describe` JSON ("path"; see the README), or
# the binary's name without .fcgi when it cannot describe itself (or jq is missing).
# With "upstreams": the http-level upstream of each, whose connections nginx keeps open
# (replaces @UPSTREAMS@ of conf/fieldsync-http.conf.in):
#     upstream fieldsync_<path> { server unix:RUN/<path>.sock; keepalive 16; }
# The binary of kind "session" (sign-in) also gets the per-address sign-in limit, whose
# zone conf/fieldsync-http.conf.in defines at http level.
# The output replaces the @LOCATIONS@ line of conf/fieldsync.nginx.conf.in (./stack and
# Makefile.am), so the list of resources is written down only in cgi-bin/.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ] || { [ $# -eq 3 ] && [ "$3" != upstreams ]; }; then
	echo "usage: $0 BINDIR RUN [upstreams]" >&2
	exit 2
fi
bindir=$1 run=$2 what=${3:-locations}

# path_of: conf/describe.sh.
# shellcheck source=conf/describe.sh
. "$(dirname "$0")/describe.sh"

# kind_of BIN: the kind BIN describes itself as ("resource", "feed", "session", ...), or
# "session" for session.fcgi when it cannot say (the limit must not vanish with jq).
kind_of() {
	k=
	if command -v jq >/dev/null 2>&1; then
		k=$("$1" --describe 2>/dev/null | jq -r '.kind // empty' 2>/dev/null) || k=
	fi
	if [ -z "$k" ] && [ "$(basename "$1")" = session.fcgi ]; then
		k=session
	fi
	printf '%s\n' "$k"
}

found=0
paths=
limited=
for bin in "$bindir"/*.fcgi; do
	[ -x "$bin" ] || continue
	p=$(path_of "$bin")
	paths="$paths $p"
	[ "$(kind_of "$bin")" = session ] && limited="$limited $p"
	found=1
done
if [ "$found" = 0 ]; then
	echo "$0: no $bindir/*.fcgi (build first)" >&2
	exit 1
fi

# upstream_of PATH: the upstream's name (nginx names take no dash).
upstream_of() { printf 'fieldsync_%s\n' "$1" | tr -- - _; }

if [ "$what" = upstreams ]; then
	for p in $paths; do
		printf 'upstream %s { server unix:%s/%s.sock; keepalive 16; }\n' "$(upstream_of "$p")" "$run" "$p"
	done
	exit 0
fi

width=0
for p in $paths; do
	[ ${#p} -gt "$width" ] && width=${#p}
done
for p in $paths; do
	case " $limited " in
	*" $p "*)
		printf '    location = /api/%-*s { limit_req zone=fieldsync_login burst=10 nodelay;' "$width" "$p"
		printf ' limit_req_status 429; fastcgi_pass %s; }\n' "$(upstream_of "$p")"
		;;
	*) printf '    location = /api/%-*s { fastcgi_pass %s; }\n' "$width" "$p" "$(upstream_of "$p")" ;;
	esac
done
