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

# use_workers BINDIR: the stack's workers from BINDIR (empty: the stack's own build).
use_workers() {
	if [ -n "$1" ]; then
		FIELDSYNC_WORKER_DIR=$1 "$top/stack" workers-start >/dev/null
	else
		"$top/stack" workers-start >/dev/null
	fi
}
