# shellcheck shell=bash disable=SC2154  # top: set by the sourcing script
# The baseline build: the API as it was at BASE_COMMIT (issue 11's "today's main"), built
# beside the stack in var/bench-base-<commit>, so its workers can stand in for the stack's
# within one run and answer from the same database. Sourced by bench/run after bench/lib.sh.

# The commit whose figures issue 11 starts from.
BASE_COMMIT=${BASE_COMMIT:-1db12a5}

# base_build: builds BASE_COMMIT once (again when missing) and prints its cgi-bin folder.
# Its sql/ is today's: a worker refuses a schema newer than its own build's, and the
# migrations since only add to the schema (a newer trigger or index, no renamed column).
base_build() {
	local commit dir
	commit=$(git -C "$top" rev-parse --short "$BASE_COMMIT^{commit}") || return 1
	dir=$top/var/bench-base-$commit
	if [ ! -x "$dir/cgi-bin/clients.fcgi" ] ||
		! diff -q <(cd "$top/sql" && cat [0-9][0-9][0-9]_*.sql) \
			<(cd "$dir/sql" && cat [0-9][0-9][0-9]_*.sql) >/dev/null 2>&1; then
		echo "# building $commit in var/bench-base-$commit" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		git -C "$top" archive "$commit" | tar -x -C "$dir"
		rm -f "$dir"/sql/[0-9][0-9][0-9]_*.sql
		cp "$top"/sql/[0-9][0-9][0-9]_*.sql "$dir/sql/"
		(cd "$dir" && autoreconf -fi >/dev/null 2>&1 && ./configure -q >/dev/null 2>&1 &&
			make -j2 >/dev/null 2>&1) || { echo "bench: building $commit failed" >&2; return 1; }
	fi
	# The workers run as the stack's user: let it read the copy.
	chmod -R a+rX "$dir"
	printf '%s\n' "$dir/cgi-bin"
}

# base_conf BINDIR: the stack's config without the keys BASE_COMMIT's workers do not know
# (they refuse a config with an unknown key), as its own --check-config takes it; prints
# its path. Each key it names as unknown is commented out, one at a time, so that keys
# added since ([database] connections, [workers] count, [relay] delivery_threads, ...)
# need no list here.
base_conf() {
	local conf=$top/var/bench-base.conf err line
	cp "$FIELDSYNC_STACK_CONF" "$conf"
	chmod a+r "$conf"
	for _ in $(seq 50); do
		err=$("$1/clients.fcgi" --check-config --config "$conf" 2>&1 >/dev/null) && {
			printf '%s\n' "$conf"
			return 0
		}
		line=$(sed -n 's/.*error on line \([0-9][0-9]*\).*/\1/p' <<<"$err" | head -n 1)
		if [ -z "$line" ] || ! grep -q 'unknown key' <<<"$err"; then
			printf 'bench: the base build refuses the config: %s\n' "$err" >&2
			return 1
		fi
		sed -i "${line}s/^/; unknown at the base commit: /" "$conf"
	done
	return 1
}

# nginx_keepalive on|off: the stack's nginx keeps its FastCGI connections (on: as ./stack
# set it up) or not (off: as at BASE_COMMIT, whose workers read one request a connection:
# no upstream keepalive, fastcgi_keep_conn off), then reloads and waits until its old
# workers are gone.
nginx_keepalive() {
	local dir=$FIELDSYNC_VAR/nginx master old f left
	master=$(cat "$FIELDSYNC_VAR/run/nginx.pid")
	for f in fieldsync-http.conf fieldsync.nginx.conf; do
		if [ "$1" = off ]; then
			[ -e "$dir/$f.stack" ] || cp "$dir/$f" "$dir/$f.stack"
			sed -e 's|\(server unix:[^;]*;\) keepalive [0-9]*;|\1|' \
				-e 's|fastcgi_keep_conn on;|fastcgi_keep_conn off;|' "$dir/$f.stack" >"$dir/$f"
		elif [ -e "$dir/$f.stack" ]; then
			mv "$dir/$f.stack" "$dir/$f"	# the stack's own, kept while off
		fi
	done
	old=$(pgrep -P "$master" | tr '\n' ' ')
	kill -HUP "$master"
	for _ in $(seq 100); do
		left=0
		for pid in $old; do
			[ -e "/proc/$pid" ] && left=1
		done
		[ "$left" = 0 ] && return 0
		sleep 0.1
	done
	echo "bench: nginx's old workers did not end after the reload" >&2
	return 1
}

# use_workers BINDIR [CONF]: the stack's workers from BINDIR with config CONF (empty: the
# stack's own build and config).
use_workers() {
	if [ -n "$1" ]; then
		FIELDSYNC_WORKER_DIR=$1 FIELDSYNC_WORKER_CONF=${2:-} "$top/stack" workers-start >/dev/null
	else
		"$top/stack" workers-start >/dev/null
	fi
}
