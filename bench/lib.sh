# shellcheck shell=bash disable=SC2154  # top, rows, conns, seconds: set by the sourcing script
# What the benchmarks share: the stack's settings, the seeded branch, a session of a rep
# of that branch, wrk and medians. Sourced by bench/run and bench/auth-cost.

[ -f "$top/var/stack.env" ] || { echo "bench: no running stack here (./stack up first)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$top/var/stack.env"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v pgbench >/dev/null || PATH=$FIELDSYNC_PGBIN:$PATH

branch=bench
psql() { command psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# seed: exactly $rows clients in the bench branch, made by PostgreSQL in one statement,
# named "Client 000001" on (six digits: up to 999,999 rows, each name once, so a search
# for "000777" finds one row whatever the size).
seed() {
	local have
	have=$(psql -c "SELECT count(*) || ' ' || coalesce(min(name), '') FROM clients WHERE branch = '$branch'")
	if [ "$have" != "$rows Client 000001" ]; then
		psql -c "DELETE FROM appointments WHERE branch = '$branch'" \
		     -c "DELETE FROM visits WHERE branch = '$branch'" \
		     -c "DELETE FROM clients WHERE branch = '$branch'"
		psql -c "INSERT INTO clients (branch, name, email, status)
			SELECT '$branch', 'Client ' || lpad(i::text, 6, '0'), 'c' || i || '@example.com',
			       (ARRAY['prospect','active','inactive'])[1 + i % 3]
			FROM generate_series(1, $rows) AS i"
	fi
	# Always: the bulk and fan-out parts before leave new rows in the trigram indexes' GIN
	# pending lists, which every search then scans until autovacuum merges them (a search
	# over 10,000 clients measured 120/s right after, 1,000/s once vacuumed). Each size is
	# measured as autovacuum leaves the table.
	psql -c "VACUUM ANALYZE clients"
}

# median: the middle of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench_token [admin]: signs in one of the benchmarks' accounts, bench-rep (a rep of the
# bench branch) or bench-admin, made or given a fresh random password with fieldsync-admin,
# and prints its token.
bench_token() {
	local admin=$top/sql/fieldsync-admin pw login=bench-rep role=(--role rep --branch "$branch")
	if [ "${1:-}" = admin ]; then
		login=bench-admin role=(--role admin)
	fi
	pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	if ! printf '%s\n' "$pw" | "$admin" user add "$login" "${role[@]}" --password-stdin \
		>/dev/null 2>&1; then
		printf '%s\n' "$pw" | "$admin" user passwd "$login" --password-stdin >/dev/null
	fi
	curl -sS --fail --max-time 10 -H 'Content-Type: application/json' \
		--data-binary "{\"login\":\"$login\",\"password\":\"$pw\"}" \
		"$FIELDSYNC_URL/api/session" | jq -er .token
}

# threads N: wrk's and pgbench's threads for N connections (two cores; never more than N).
threads() { if [ "$1" -lt 2 ]; then echo 1; else echo 2; fi; }

# wrk_rps URL [WRK ARGS...]: requests/s of one wrk run ($conns connections, $seconds s);
# fails on any non-2xx answer.
wrk_rps() {
	local out url=$1
	shift
	out=$(wrk -t"$(threads "$conns")" -c"$conns" -d"${seconds}s" --latency "$@" "$url")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench: non-2xx answers from $url" >&2
		echo "$out" >&2
		return 1
	fi
	awk '/^Requests\/sec/ { print $2 }' <<<"$out"
}

# pgbench_setup: pgbench's tables (scale 10), in a database of their own beside the
# application's (fieldsync_bench); sets bench_url. A dbname given last wins, in URL and
# in keyword form alike.
pgbench_setup() {
	case $DATABASE_URL in
	*://*\?*) bench_url="$DATABASE_URL&dbname=fieldsync_bench" ;;
	*://*) bench_url="$DATABASE_URL?dbname=fieldsync_bench" ;;
	*) bench_url="$DATABASE_URL dbname=fieldsync_bench" ;;
	esac
	psql -c "SELECT 1 FROM pg_database WHERE datname = 'fieldsync_bench'" | grep -q 1 ||
		psql -c "CREATE DATABASE fieldsync_bench"
	if ! command psql "$bench_url" -X -q -A -t -c "SELECT count(*) FROM pgbench_accounts" 2>/dev/null |
		grep -qx 1000000; then
		pgbench -q -i -s 10 "$bench_url" >/dev/null 2>&1
	fi
}

# pgbench_tps: select-only TPS, prepared statements, at the same concurrency ($conns,
# $seconds s), in pgbench's database (pgbench_setup).
pgbench_tps() {
	pgbench -n -S -M prepared -c"$conns" -j"$(threads "$conns")" -T"$seconds" "$bench_url" 2>/dev/null |
		awk '/^tps/ { print $3; exit }'
}

# ratio A B: A / B with two decimals, or n/a when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b == 0)
		print "n/a"; else printf "%.2fx\n", a / b }'
}

# median_of "V1 V2 ...": the median of the words, or n/a when there are none.
median_of() {
	local words
	read -r -a words <<<"$1"
	if [ ${#words[@]} -eq 0 ]; then
		echo n/a
	else
		printf '%s\n' "${words[@]}" | median
	fi
}

