#!/bin/bash
# make install and make uninstall into a scratch prefix, as an admin would use them:
# the config installed 0640 and of the service group, never over an edited one (a .dist
# beside it instead), left by uninstall once edited; every installed binary answers
# --version and finds the installed config without --config; the man pages render
# without a warning, and fieldsync.conf(5) documents every key with its default; then the
# README's install steps run on that install (two database roles, migrate as the owner,
# grant the app role, the config filled in, the services started as their units start them,
# nginx with the snippets): health, 401, an admin, a sign-in, a write.
#
# The tree is copied with its objects (a configured source folder cannot also host a
# build elsewhere) and configured for the scratch prefix: only what compiles in a path
# is rebuilt, then everything is relinked.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

TOP=$FIELDSYNC_TOP
[ -f "$TOP/configure.ac" ] || skip_all "no source tree at FIELDSYNC_TOP"
command -v groff >/dev/null || skip_all "groff missing (Debian package groff-base)"
command -v getent >/dev/null || skip_all "getent missing (libc-bin)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-t8000.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
SRC=$TMP/src PREFIX=$TMP/usr ETC=$TMP/etc/fieldsync CONF=$TMP/etc/fieldsync/fieldsync.conf
GROUP=$(id -gn)	# a group that exists and that this user may give

# in_build CMD...: run CMD in the scratch build, its output in $TMP/out; its status.
in_build() { (cd "$SRC" && "$@") >"$TMP/out" 2>&1; }

# files_under DIR...: the files (not folders) left under DIR..., sorted.
files_under() { find "$@" \( -type f -o -type l \) 2>/dev/null | sort; }

tar -C "$TOP" --exclude=./var --exclude=./.git --exclude=node_modules --exclude=./t/fuzz/obj \
	--exclude='*.log' --exclude='*.trs' -cf - . | { mkdir -p "$SRC" && tar -C "$SRC" -xf -; } ||
	bail_out "cannot copy the tree"
if [ ! -x "$SRC/configure" ]; then
	in_build autoreconf -fi || bail_out "autoreconf failed: $(tail -n 5 "$TMP/out")"
fi
in_build ./configure --prefix="$PREFIX" --sysconfdir="$ETC" --localstatedir="$TMP/var" \
	--with-group="$GROUP" || bail_out "configure failed: $(tail -n 5 "$TMP/out")"
in_build make -j2 || bail_out "make failed: $(tail -n 20 "$TMP/out")"
VERSION=$(sed -n 's/^PACKAGE_VERSION = //p' "$SRC/Makefile")

# ---------------------------------------------------------------- install

in_build make install
ok $? "make install" || diag "$(tail -n 20 "$TMP/out")"
is "$(stat -c '%a %G' "$CONF" 2>&1)" "640 $GROUP" "the config is installed 0640, of the service group"
[ ! -e "$CONF.dist" ]
ok $? "... and no .dist beside a first config"

# Every installed program: the workers and the relay in libexec, the tools in bin.
mapfile -t BINS < <(find "$PREFIX/bin" "$PREFIX/sbin" "$PREFIX/libexec" -type f -perm -u+x 2>/dev/null | sort)
is "${#BINS[@]}" "$(( $(find "$TOP/cgi-bin" -name '*.c' | wc -l) + 3 ))" \
	"the installed programs: one per cgi-bin/*.c, the relay, fieldsync-migrate and fieldsync-admin"
[ -x "$PREFIX/libexec/fieldsync/fieldsync-relay" ] && [ ! -e "$PREFIX/bin/fieldsync-relay" ]
ok $? "the relay is in libexec/fieldsync, beside the workers, not on the PATH"
for b in "${BINS[@]}"; do
	name=$(basename "$b")
	is "$(env -u FIELDSYNC_CONF "$b" --version 2>&1)" "$name (fieldsync) $VERSION" "$name --version"
	is "$(env -u FIELDSYNC_CONF "$b" --check-config 2>&1)" "$CONF" "$name finds the installed config"
	env -u FIELDSYNC_CONF "$b" --help >"$TMP/help" 2>&1
	ok $? "$name --help exits 0" || diag "$(head -n 3 "$TMP/help")"
done

# The order: --config, then FIELDSYNC_CONF, then the installed one, else built-in defaults.
CLIENTS=$PREFIX/libexec/fieldsync/clients.fcgi
printf '[http]\nmax_body = 2048\n' >"$TMP/other.conf"
is "$(FIELDSYNC_CONF=$TMP/none.conf "$CLIENTS" --config "$TMP/other.conf" --check-config 2>&1)" \
	"$TMP/other.conf" "--config wins over FIELDSYNC_CONF"
is "$(FIELDSYNC_CONF=$TMP/other.conf "$CLIENTS" --check-config 2>&1)" "$TMP/other.conf" \
	"FIELDSYNC_CONF wins over the installed config"
is "$(FIELDSYNC_CONF='' "$CLIENTS" --check-config 2>&1)" "(built-in defaults)" \
	"FIELDSYNC_CONF set but empty: no file"
mv "$CONF" "$CONF.away"
is "$(env -u FIELDSYNC_CONF "$CLIENTS" --check-config 2>&1)" "(built-in defaults)" \
	"no installed config: the built-in defaults"
mv "$CONF.away" "$CONF"
printf '[http]\nmax_body = lots\n' >"$TMP/bad.conf"
FIELDSYNC_CONF=$TMP/bad.conf "$CLIENTS" --check-config >/dev/null 2>"$TMP/err"
is "$?" 1 "--check-config of an invalid config exits 1"
like "$(cat "$TMP/err")" 'config: bad or unknown key \[http\] max_body' "... saying which key"

# No headers, and the private library under lib/fieldsync only.
is "$(files_under "$PREFIX/include")" "" "no header is installed"
is "$(files_under "$PREFIX/lib" | grep -v "^$PREFIX/lib/fieldsync/")" "" \
	"the library is private: nothing in lib/ but lib/fieldsync/"

# The snippet and the units, filled in for this prefix.
SHARE=$PREFIX/share/fieldsync
! grep -q "fastcgi_param *FIELDSYNC_CONF" "$SHARE/fieldsync.nginx.conf"
ok $? "the nginx snippet sets no FIELDSYNC_CONF"
relay_exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$SHARE/fieldsync-relay.service")
is "$relay_exec" "$PREFIX/libexec/fieldsync/fieldsync-relay" "the relay's unit starts the installed relay"
worker_exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$SHARE/fieldsync@.service")
[ -x "${worker_exec/\%i/clients}" ]
ok $? "the workers' unit starts installed workers ($worker_exec)"
grep -qx "Group=$GROUP" "$SHARE/fieldsync@.service" && grep -qx "Group=$GROUP" "$SHARE/fieldsync-relay.service"
ok $? "the units run in the configured group"
grep -q "^$TMP/var/log/fieldsync/\*\.log {" "$SHARE/fieldsync.logrotate" &&
	grep -q 'systemctl kill --signal=USR1' "$SHARE/fieldsync.logrotate"
ok $? "the logrotate snippet names the log folder and signals the services"

# ---------------------------------------------------------------- man pages

MAN=$PREFIX/share/man
for page in man8/fieldsync-worker.8 man8/fieldsync-relay.8 man8/fieldsync-migrate.8 \
	man8/fieldsync-admin.8 man5/fieldsync.conf.5; do
	[ -f "$MAN/$page" ] || { ok 1 "$page is installed"; continue; }
	warnings=$(groff -ww -z -man "$MAN/$page" 2>&1)
	is "$warnings" "" "$page renders without a warning"
done
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$MAN/man5/fieldsync.conf.5" 2>"$TMP/man.err" | grep -q "^NAME"
	ok $? "man -l renders fieldsync.conf(5)"
	is "$(cat "$TMP/man.err")" "" "... without a word on stderr"
fi
grep -q "$CONF" "$MAN/man5/fieldsync.conf.5"
ok $? "fieldsync.conf(5) names the installed config's path"

# Every key lib/fs_config.c knows, with the default the shipped config shows: in the page.
keys=$(grep -o 'IS("[a-z_]*", "[a-z_]*")' "$TOP/lib/fs_config.c" | sed 's/IS("\([a-z_]*\)", "\([a-z_]*\)")/\1 \2/')
[ "$(printf '%s\n' "$keys" | wc -l)" -gt 30 ]
ok $? "the keys of lib/fs_config.c are found ($(printf '%s\n' "$keys" | wc -l))"
# page_defaults: "section key value" of each ".B key = value" of fieldsync.conf(5).
page_defaults() {
	awk '/^\.SH "\[/ { s = $2; gsub(/[^a-z_]/, "", s) }
		/^\.B [a-z_]+ =/ && s { k = $2; sub(/^\.B [a-z_]+ = ?/, ""); print s, k, $0 }' "$1"
}
# conf_defaults: "section key value" of each "key = value" of conf/fieldsync.conf.
conf_defaults() {
	awk '/^\[/ { s = $0; gsub(/[^a-z_]/, "", s) }
		/^[a-z_]+ =/ { k = $1; sub(/^[a-z_]+ = ?/, ""); print s, k, $0 }' "$1"
}
page_defaults "$SRC/man/fieldsync.conf.5.in" >"$TMP/page.keys"
conf_defaults "$TOP/conf/fieldsync.conf" >"$TMP/conf.keys"
missing=$(printf '%s\n' "$keys" | while read -r s k; do
	grep -q "^$s $k " "$TMP/page.keys" || printf '[%s] %s ' "$s" "$k"
done)
is "$missing" "" "fieldsync.conf(5) documents every key of lib/fs_config.c"
is "$(diff "$TMP/conf.keys" "$TMP/page.keys")" "" \
	"... with the defaults conf/fieldsync.conf shows, in the same order"

# ---------------------------------------------------------------- run it, as the README says

# The README's steps 2 to 8 on this scratch install: two database roles (owner and app),
# migrate as the owner, grant the app role, the config filled in, the services started the
# way their units start them (each pool on a socket held for it, as systemd's socket unit
# does), nginx with the snippets, then health, 401, an admin, a sign-in and a write.
run_it() {
	local tok owner app db port run n exec
	tok=$(uniq_token) owner=inst_owner_$tok app=inst_app_$tok db=fieldsync_inst_$tok
	port=$((20000 + RANDOM % 20000)) run=$TMP/var/run/fieldsync	# configure's runstatedir/fieldsync
	RUNNING=()
	DB=$db OWNER=$owner APP=$app
	sql "CREATE ROLE $owner LOGIN" >/dev/null && sql "CREATE ROLE $app LOGIN" >/dev/null &&
		sql "CREATE DATABASE $db OWNER $owner" >/dev/null || return 1
	OWNER_URL=$(with_dbname "$db" "$owner") APP_URL=$(with_dbname "$db" "$app")
	"$PREFIX/bin/fieldsync-migrate" --database "$OWNER_URL" >"$TMP/migrate.out" 2>&1 || return 2
	psql "$OWNER_URL" -X -q -v app="$app" -f "$SHARE/fieldsync-app-role.sql" >/dev/null 2>&1 || return 3
	mkdir -p "$run"
	sed -i -e "s|^url =.*|url = ${APP_URL//&/\\&}|" -e "s|^publish =.*|publish = ipc://$run/events.ipc|" \
		-e "s|^sub =.*|sub = ipc://$run/events.ipc|" -e "s|^listen = .*|listen = unix:$run/relay.sock|" "$CONF"
	exec=$(sed -n 's/^ExecStart=//p' "$SHARE/fieldsync@.service")
	for bin in "$PREFIX"/libexec/fieldsync/*.fcgi; do
		n=$(basename "$bin" .fcgi)
		# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
		env -u DATABASE_URL -u FIELDSYNC_CONF "$TOP/t/process/hold-socket" "$run/$n.sock" \
			${exec//%i/$n} --workers 1 >>"$TMP/services.log" 2>&1 &
		RUNNING+=($!)
	done
	exec=$(sed -n 's/^ExecStart=//p' "$SHARE/fieldsync-relay.service")
	# shellcheck disable=SC2086
	env -u DATABASE_URL -u FIELDSYNC_CONF $exec >>"$TMP/services.log" 2>&1 &
	RUNNING+=($!)
	cat >"$TMP/nginx.conf" <<-EOF
		user $(id -un) $(id -gn);
		pid $TMP/nginx.pid;
		error_log $TMP/nginx-error.log;
		events { }
		http {
		    access_log off;
		    include $SHARE/fieldsync-http.conf;
		    server {
		        listen 127.0.0.1:$port;
		        include $SHARE/fieldsync.nginx.conf;
		    }
		}
	EOF
	nginx -p "$TMP/" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" 2>>"$TMP/nginx-error.log" || return 4
	URL=http://127.0.0.1:$port
}
stop_it() {
	[ -s "$TMP/nginx.pid" ] && kill -TERM "$(cat "$TMP/nginx.pid")" 2>/dev/null
	kill -TERM "${RUNNING[@]}" 2>/dev/null
	wait "${RUNNING[@]}" 2>/dev/null
	sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	sql "DROP ROLE IF EXISTS $OWNER" >/dev/null 2>&1
	sql "DROP ROLE IF EXISTS $APP" >/dev/null 2>&1
}
if [ -n "${DATABASE_URL:-}" ] && command -v nginx >/dev/null && [ -x "$TOP/t/process/hold-socket" ] &&
	[ "$(sql "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null)" = t ]; then
	trap 'stop_it; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
	run_it
	ok $? "installed, migrated as the owner, granted, configured, started under nginx" ||
		diag "$(tail -n 5 "$TMP/migrate.out" "$TMP/services.log" "$TMP/nginx-error.log" 2>/dev/null)"
	healthy() { [ "$(curl -s --max-time 3 "$URL/api/health" | jq -r .status 2>/dev/null)" = ok ]; }
	wait_until 20 healthy
	ok $? "GET /api/health: ok, every service up" ||
		diag "$(curl -s --max-time 3 "$URL/api/health"; tail -n 5 "$TMP/services.log" "$TMP/nginx-error.log")"
	is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/clients")" 401 "without a session: 401"
	printf '%s\n' 'an install test password' |
		DATABASE_URL=$OWNER_URL "$PREFIX/bin/fieldsync-admin" user add admin --role admin --password-stdin >/dev/null 2>&1
	token=$(curl -s -H 'Content-Type: application/json' -d '{"login":"admin","password":"an install test password"}' \
		"$URL/api/session" | jq -r '.token // empty')
	ok "$([ -n "$token" ]; echo $?)" "the admin made with fieldsync-admin signs in"
	is "$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' \
		-d '{"branch":"north","name":"Installed"}' "$URL/api/clients")" 201 "... and writes, served as the app role"
	is "$(psql "$OWNER_URL" -XAtc "SELECT count(*) FROM clients WHERE name = 'Installed'" 2>/dev/null)" 1 \
		"... into the installed database"
	is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$URL/events/health")" 200 \
		"the relay answers behind nginx"
	stop_it
	trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
	# The run wrote the config (the README's step 5): put the shipped one back for what follows.
	cp "$TOP/conf/fieldsync.conf" "$CONF"
fi

# ---------------------------------------------------------------- install again, uninstall

printf '\n; edited by the admin\n[http]\nmax_body = 4096\n' >>"$CONF"
cp -p "$CONF" "$TMP/edited.conf"
in_build make install
ok $? "make install over an edited config"
like "$(cat "$TMP/out")" 'fieldsync.conf is there already: left as it is; the shipped config is .*fieldsync\.conf\.dist' \
	"... says it keeps the config and installs the .dist"
cmp -s "$CONF" "$TMP/edited.conf"
ok $? "... the edit survives"
cmp -s "$CONF.dist" "$TOP/conf/fieldsync.conf"
ok $? "... the shipped config is beside it as fieldsync.conf.dist"
is "$(stat -c '%a %G' "$CONF.dist" 2>&1)" "640 $GROUP" "... 0640, of the service group"

in_build make uninstall
ok $? "make uninstall" || diag "$(tail -n 20 "$TMP/out")"
like "$(cat "$TMP/out")" 'fieldsync.conf was edited: left in place' "... says it leaves the edited config"
is "$(files_under "$PREFIX" "$TMP/etc")" "$CONF" "... and leaves no file but it"

rm -f "$CONF"
in_build make install && in_build make uninstall
ok $? "install and uninstall again"
is "$(files_under "$PREFIX" "$TMP/etc")" "" "an unedited config goes with the rest"

# DESTDIR, and a service group that does not exist: said, never a failure.
DEST=$TMP/dest
in_build make install DESTDIR="$DEST" FIELDSYNC_GROUP=fieldsync-no-such-group
ok $? "make install DESTDIR=... with a group that does not exist" || diag "$(tail -n 20 "$TMP/out")"
like "$(cat "$TMP/out")" 'group fieldsync-no-such-group does not exist' "... says so"
is "$(stat -c '%a %G' "$DEST$CONF" 2>&1)" "640 $(id -gn)" "... the config keeps the installer's group"
[ -x "$DEST$PREFIX/libexec/fieldsync/clients.fcgi" ] && [ ! -e "$CONF" ]
ok $? "... everything under DESTDIR, nothing outside it"
in_build make uninstall DESTDIR="$DEST"
is "$(files_under "$DEST")" "" "make uninstall DESTDIR=... leaves nothing"

done_testing
