# shellcheck shell=bash
# Apache in front of the stack's database, for t/apache/: a private server standing for a
# shared host's (conf/apache/httpd.conf.in), the application configured by its .htaccess
# alone (conf/apache/htaccess.sh). Source after t/lib/tap.sh.
#
#   apache_up FRONT PORT   FRONT cgi (mod_cgid) or fcgid (mod_fcgid): write the server root
#                          var/apache/FRONT/, start Apache there as the stack's user, wait
#                          until the API answers through it; sets APACHE_URL, APACHE_DIR.
#                          FCGID_MAX_REQUEST_LEN: the host's FcgidMaxRequestLen (2 MiB);
#                          APACHE_BODY_LIMIT: the .htaccess's body limit and the config's
#                          max_body (default: the shipped ones)
#   apache_down            stop it (TERM, then wait for it and its children)
#   api_test_through FILE  run t/api/FILE against APACHE_URL; one check with its totals

APACHE_CONF_SRC=$FIELDSYNC_TOP/conf/apache
APACHE_MODULES=/usr/lib/apache2/modules
APACHE_ONLY_ORIGIN=http://apache-front.invalid

# as_stack_user CMD...: CMD as the user the stack's services run as (root switches).
as_stack_user() {
	if [ -n "${FIELDSYNC_USER:-}" ]; then
		runuser -u "$FIELDSYNC_USER" -- "$@"
	else
		"$@"
	fi
}

# apache_ports: the two ports of this stack's Apache fronts, "CGI FCGID": FIELDSYNC_APACHE_PORTS,
# else the stack's port plus 100 and 101.
apache_ports() {
	local base=${FIELDSYNC_URL##*:}
	printf '%s\n' "${FIELDSYNC_APACHE_PORTS:-$((base + 100)) $((base + 101))}"
}

# apache_skip_unless_installed: skip the whole file without Debian's apache2 and mod_fcgid.
apache_skip_unless_installed() {
	command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] ||
		skip_all "apache2 is not installed (./stack up installs it)"
	[ -r "$APACHE_MODULES/mod_fcgid.so" ] || skip_all "libapache2-mod-fcgid is not installed"
}

# apache_fill TEMPLATE: TEMPLATE with this front's placeholders filled in.
apache_fill() {
	sed -e "s|@DIR@|$APACHE_DIR|g" -e "s|@PORT@|$APACHE_PORT|g" -e "s|@MODULE@|$APACHE_MODULE|g" \
		-e "s|@FCGID_MAX_REQUEST_LEN@|${FCGID_MAX_REQUEST_LEN:-2097152}|g" "$1"
}

# apache_answers: the API answers through this Apache (401 without a session: a binary's).
apache_answers() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$APACHE_URL/api/clients?limit=1")" = 401 ]
}

# apache_install_binary BIN DEST: BIN where the host serves it, as an installed binary would
# be. A libtool build's BIN is a bash wrapper costing some 20 ms a CGI request: DEST is then a
# two-line sh script running the real binary with the build's library path.
apache_install_binary() {
	local real=${1%/*}/.libs/${1##*/}
	if [ -x "$real" ] && [ -d "$FIELDSYNC_TOP/lib/.libs" ]; then
		printf '#!/bin/sh\nLD_LIBRARY_PATH=%q exec %q "$@"\n' "$FIELDSYNC_TOP/lib/.libs" "$real" >"$2"
		chmod 0755 "$2"
	else
		ln -s "$1" "$2"
	fi
}

apache_up() {
	local front=$1 docs bin
	APACHE_PORT=$2
	APACHE_DIR=$FIELDSYNC_VAR/apache/$front
	APACHE_URL=http://127.0.0.1:$APACHE_PORT
	case $front in
	cgi) APACHE_MODULE=cgid ;;
	fcgid) APACHE_MODULE=fcgid ;;
	*) bail_out "apache_up: no front $front" ;;
	esac
	if (exec 3<>"/dev/tcp/127.0.0.1/$APACHE_PORT") 2>/dev/null; then
		bail_out "port $APACHE_PORT is taken (set FIELDSYNC_APACHE_PORTS to two free ports)"
	fi
	docs=$APACHE_DIR/htdocs
	rm -rf "$APACHE_DIR"
	mkdir -p "$APACHE_DIR/run/fcgid" "$docs/fieldsync/errors"
	apache_fill "$APACHE_CONF_SRC/httpd.conf.in" >"$APACHE_DIR/httpd.conf"
	# The host customer's config: the stack's, with the database URL written in (no
	# environment reaches a mod_fcgid process from .htaccess).
	{
		cat "$FIELDSYNC_STACK_CONF"
		printf '\n[database]\nurl = %s\n' "$DATABASE_URL"
		# An origin only this config allows: a check that the binaries read this file.
		printf '[http]\ncors_origins = %s %s\n' "$(sed -n 's/^cors_origins *= *//p' \
			"$FIELDSYNC_STACK_CONF" | tail -n 1)" "$APACHE_ONLY_ORIGIN"
		[ -z "${APACHE_BODY_LIMIT:-}" ] || printf 'max_body = %s\n' "$APACHE_BODY_LIMIT"
	} >"$APACHE_DIR/fieldsync.conf"
	chmod 0600 "$APACHE_DIR/fieldsync.conf"
	"$APACHE_CONF_SRC/htaccess.sh" "$FIELDSYNC_TOP/cgi-bin" "$front" "$APACHE_DIR/fieldsync.conf" \
		/ ${APACHE_BODY_LIMIT:+"$APACHE_BODY_LIMIT"} >"$docs/.htaccess" ||
		bail_out "conf/apache/htaccess.sh failed"
	for bin in "$FIELDSYNC_TOP"/cgi-bin/*.fcgi; do
		[ -x "$bin" ] && apache_install_binary "$bin" "$docs/fieldsync/${bin##*/}"
	done
	cp "$APACHE_CONF_SRC"/errors/*.json "$docs/fieldsync/errors/"
	[ -z "${FIELDSYNC_USER:-}" ] || chown -R "$FIELDSYNC_USER:" "$APACHE_DIR"
	# A clean environment: nothing of the stack's (DATABASE_URL, FIELDSYNC_CONF) may reach the
	# binaries but through the .htaccess, as on a shared host.
	as_stack_user env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		apache2 -d "$APACHE_DIR" -f "$APACHE_DIR/httpd.conf" -k start ||
		bail_out "Apache ($front) did not start: $(tail -n 5 "$APACHE_DIR/error.log" 2>/dev/null)"
	APACHE_STARTED=1
	wait_until 30 apache_answers ||
		bail_out "the API does not answer through Apache ($front): $(tail -n 5 "$APACHE_DIR/error.log")"
}

# apache_gone PID: no process of that pid is left.
apache_gone() { ! kill -0 "$1" 2>/dev/null; }

apache_down() {
	local pid
	[ -n "${APACHE_STARTED:-}" ] || return 0
	APACHE_STARTED=
	pid=$(cat "$APACHE_DIR/httpd.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_until 20 apache_gone "$pid" || { diag "Apache $pid ignored SIGTERM"; kill -KILL "$pid"; }
}

# api_test_through FILE LABEL: t/api/FILE against this Apache, one check with its totals;
# its failed checks and diagnostics follow as TAP comments.
api_test_through() {
	local file=$1 label=$2 out rc pass fail skip
	out=$(FIELDSYNC_FRONT=apache-$label FIELDSYNC_FRONT_URL=$APACHE_URL \
		bash "$FIELDSYNC_TOP/t/api/$file" 2>&1) && rc=0 || rc=$?
	pass=$(grep -c '^ok ' <<<"$out" || true)
	skip=$(grep -ci '^ok .*# skip' <<<"$out" || true)
	fail=$(grep -c '^not ok ' <<<"$out" || true)
	pass=$((pass - skip))
	if ! ok "$([ "$rc" = 0 ] && [ "$fail" = 0 ] && [ "$pass" -gt 0 ]; echo $?)" \
		"$label: t/api/$file: $pass passed, $fail failed, $skip skipped"; then
		grep -v '^ok ' <<<"$out" | head -n 60 | cut -c1-400 | sed 's/^/#   /' >&2
	fi
	grep -i '^ok .*# skip' <<<"$out" | sed 's/^/#   /'
	APACHE_TOTAL_PASS=$((${APACHE_TOTAL_PASS:-0} + pass))
	APACHE_TOTAL_FAIL=$((${APACHE_TOTAL_FAIL:-0} + fail))
	APACHE_TOTAL_SKIP=$((${APACHE_TOTAL_SKIP:-0} + skip))
}

# apache_front HANDLER: what the front tests share (t8100 cgi, t8110 fcgid): skip without
# Apache, the stack running, the API tests' helpers, HANDLER's own port (the first of
# apache_ports for cgi, the second for fcgid), Apache up and stopped at exit, and the tap.sh
# helpers aimed at it. Sets APACHE_PORT.
apache_front() {
	local cgi_port fcgid_port
	apache_skip_unless_installed
	require_stack
	# shellcheck source=../api/lib-api.sh
	. "$(dirname "$0")/../api/lib-api.sh"
	# shellcheck source=lib-front-checks.sh
	. "$(dirname "$0")/lib-front-checks.sh"
	read -r cgi_port fcgid_port <<<"$(apache_ports)"
	APACHE_PORT=$cgi_port
	[ "$1" = fcgid ] && APACHE_PORT=$fcgid_port
	trap apache_down EXIT
	apache_up "$1" "$APACHE_PORT"
	# shellcheck disable=SC2034  # read by the tap.sh helpers
	FIELDSYNC_URL=$APACHE_URL FIELDSYNC_FRONT=apache-$1
}
