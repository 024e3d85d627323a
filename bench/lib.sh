# shellcheck shell=bash
# What the benchmarks share: the stack's settings, the seeded branch, a session of a rep
# of that branch, wrk and medians. Sourced by bench/run and bench/auth-cost.

# shellcheck disable=SC1091
. "$top/var/stack.env"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v pgbench >/dev/null || PATH=$FIELDSYNC_PGBIN:$PATH

branch=bench
psql() { command psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# seed: exactly $rows clients in the bench branch, made by PostgreSQL in one statement.
seed() {
	local have
	have=$(psql -c "SELECT count(*) FROM clients WHERE branch = '$branch'")
	if [ "$have" -ne "$rows" ]; then
		psql -c "DELETE FROM appointments WHERE branch = '$branch'" \
		     -c "DELETE FROM visits WHERE branch = '$branch'" \
		     -c "DELETE FROM clients WHERE branch = '$branch'"
		psql -c "INSERT INTO clients (branch, name, email, status)
			SELECT '$branch', 'Client ' || lpad(i::text, 5, '0'), 'c' || i || '@example.com',
			       (ARRAY['prospect','active','inactive'])[1 + i % 3]
			FROM generate_series(1, $rows) AS i"
		psql -c "VACUUM ANALYZE clients"
	fi
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

# wrk_rps URL [WRK ARGS...]: requests/s of one wrk run; fails on any non-2xx answer.
wrk_rps() {
	local out url=$1
	shift
	out=$(wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" "$url")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "bench: non-2xx answers from $1" >&2
		echo "$out" >&2
		return 1
	fi
	awk '/^Requests\/sec/ { print $2 }' <<<"$out"
}

# pgbench_tps: select-only TPS at the same concurrency, in a database of its own.
pgbench_tps() {
	pgbench -n -S -c"$conns" -j2 -T"$seconds" "$bench_url" 2>/dev/null |
		awk '/^tps/ { print $3; exit }'
}

