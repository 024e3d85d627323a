#!/bin/bash
# GETs by id stay in flight while their worker reads on (lib/fs_pg_stream.c): it sends each
# behind those already at PostgreSQL and answers them as their results come, and a request
# that needs the connection for itself (a page, a write, a sign-in check) first takes every
# result in flight. Mixed at once, each answer is still its own: GETs by id get their row
# or a 404 naming their id, pages hold their rows, POSTs are created. Nothing in the mix
# costs a worker its connection (a page's single-row mode once leaked into the next
# pipeline's first statement, and a stream out of step closes the connection). A backend
# killed while GETs are in flight: each answer is its row or a clear 503, none is another's,
# and the same worker answers the next ones. A backend killed while its worker is idle (the
# database's socket stays in the worker's epoll set between uses): no worker spins on it,
# and the next requests are answered.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-api.sh
. "$(dirname "$0")/lib-api.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
require_stack

A=$(new_branch)
declare -A LOGIN=() TOK=() WANT=()
sign_in rep rep "$A"

rows='[]'
for i in $(seq 30); do rows=$(jq -c --arg b "$A" --arg n "t2185 a$i" '. + [{branch: $b, name: $n}]' <<<"$rows"); done
json POST /api/clients "$rows"
is_status 201 "30 clients made" || bail_out "cannot make the clients"
while IFS=' ' read -r id name; do WANT[$id]=$name; done < <(jqb '.[] | "\(.id) \(.name)"')
for i in $(seq 6); do WANT[$(uuid)]=404; done

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# mixed_round TAG: every id twice (72 GETs), 14 pages of 10 rows and 6 POSTs, all at once (up
# to 40 in flight), as the rep. Prints "good n": of the N requests, the answers that are
# exactly what their own request asked for (each body in a file named after what it asked).
mixed_round() {
	local tag=$1 args=() n=0 i=0 good=0 id file status etag name got
	# op FILE CURL-ARGS...: one transfer of its own (--next: a POST's method and body stay its own).
	op() {
		local file=$1
		shift
		n=$((n + 1))
		args+=(--next -sS --max-time 30 -H "Authorization: Bearer ${TOK[rep]}"
			-w '%{filename_effective} %{http_code} %header{etag}\n' -o "$file" "$@")
	}
	for id in "${!WANT[@]}" "${!WANT[@]}"; do
		i=$((i + 1))
		op "$dir/$i.get.$id" "$FIELDSYNC_URL/api/clients?id=$id"
		[ $((i % 5)) = 0 ] && op "$dir/$i.page" "$FIELDSYNC_URL/api/clients?branch=$A&limit=10"
		if [ $((i % 12)) = 0 ]; then
			printf '{"branch":"%s","name":"t2185 %s %s"}' "$A" "$tag" "$i" >"$dir/$i.body"
			op "$dir/$i.post.$tag-$i" -X POST -H 'Content-Type: application/json' \
				--data-binary "@$dir/$i.body" "$FIELDSYNC_URL/api/clients"
		fi
	done
	while read -r file status etag; do
		case $file in
		*.get.*)
			id=${file##*.}
			if [ "${WANT[$id]}" = 404 ]; then
				got=$(jq -r --arg id "$id" 'select(.error.code == "not_found"
					and (.error.message | contains($id))) | "404"' "$file" 2>/dev/null)
				[ "$status $got $etag" = "404 404 " ] && good=$((good + 1))
			else
				name=${WANT[$id]}
				got=$(jq -r --arg id "$id" --arg n "$name" 'select(.id == $id and .name == $n)
					| "ok"' "$file" 2>/dev/null)
				[ "$status $got $etag" = '200 ok "1"' ] && good=$((good + 1))
			fi ;;
		*.page)
			got=$(jq -r --arg b "$A" 'select(length == 10 and all(.[]; .branch == $b)) | "ok"' \
				"$file" 2>/dev/null)
			[ "$status $got" = "200 ok" ] && good=$((good + 1)) ;;
		*.post.*)
			name="t2185 ${file##*.post.}"
			got=$(jq -r --arg n "${name/-/ }" 'select(.name == $n and (.id | length) == 36) | "ok"' \
				"$file" 2>/dev/null)
			[ "$status $got" = "201 ok" ] && good=$((good + 1)) ;;
		esac
	done < <(curl -s -Z --parallel-max 40 "${args[@]:1}")
	echo "$good $n"
}

# The clients workers' backends, with when each started.
backends() {
	sql "SELECT string_agg(pid || '@' || backend_start, ' ' ORDER BY pid) FROM pg_stat_activity
		WHERE application_name = 'fieldsync-clients'"
}
kill_backends() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fieldsync-clients'" >/dev/null
}

# A first round wakes every worker (one whose connection an earlier test's restart broke
# connects again here, not below).
read -r good n < <(mixed_round warm)
is "$good" "$n" "warm-up: each of $n mixed requests (GETs by id, pages, POSTs) got its own answer"
before=$(backends)
[ -n "$before" ]
ok $? "the clients workers hold connections to PostgreSQL"
for round in 1 2 3; do
	read -r good n < <(mixed_round "r$round")
	is "$good" "$n" "round $round: each of $n mixed requests got its own answer"
done
is "$(backends)" "$before" "no clients worker replaced its connection during the mixed rounds"
is "$(count_rows clients "branch = '$A' AND name LIKE 't2185 r%'")" 18 "the rounds' 18 POSTs are in, once each"

# The backends killed while GETs by id are in flight.
args=() n=0
for id in "${!WANT[@]}" "${!WANT[@]}" "${!WANT[@]}" "${!WANT[@]}"; do
	n=$((n + 1))
	args+=(-o "$dir/kill.$n.$id" "$FIELDSYNC_URL/api/clients?id=$id")
done
curl -sS -Z --parallel-max 40 --max-time 30 -H "Authorization: Bearer ${TOK[rep]}" \
	-w '%{filename_effective} %{http_code}\n' "${args[@]}" >"$dir/kill.out" &
curls=$!
wait_until 10 test -s "$dir/kill.out"	# some answered: the rest are in flight or queued
kill_backends
wait "$curls"
good=0 bad=0
while read -r file status; do
	id=${file##*.}
	if [ "$status" = 503 ] && jq -e '.error.status == 503' "$file" >/dev/null 2>&1; then
		good=$((good + 1))
	elif [ "${WANT[$id]}" = 404 ]; then
		[ "$status" = 404 ] && jq -e --arg id "$id" '.error.message | contains($id)' "$file" >/dev/null 2>&1 &&
			good=$((good + 1)) || bad=$((bad + 1))
	else
		[ "$status" = 200 ] && jq -e --arg id "$id" '.id == $id' "$file" >/dev/null 2>&1 &&
			good=$((good + 1)) || bad=$((bad + 1))
	fi
done <"$dir/kill.out"
is "$good $bad" "$n 0" "backends killed mid-flight: each of $n GETs got its own row, its 404 or a JSON 503"
note "$(grep -c ' 503$' "$dir/kill.out") of them 503"
[ "$(backends)" != "$before" ]
ok $? "... and the clients workers' backends were replaced"
read -r good n < <(mixed_round after)
is "$good" "$n" "afterwards each of $n mixed requests gets its own answer again"

# Killed while idle: the end of the connection makes its socket readable with nothing due.
# workers_cpu: the clients workers' CPU so far, in clock ticks.
workers_cpu() {
	local p t=0 stat f
	for p in $(pgrep -P "$(cat "$FIELDSYNC_VAR/run/clients.pid")"); do
		read -r stat <"/proc/$p/stat" || continue
		read -ra f <<<"${stat##*) }"	# past the command's name: fields 3 on
		t=$((t + f[11] + f[12]))	# utime and stime (fields 14 and 15)
	done
	echo "$t"
}
idle=$(backends)
kill_backends
gone() { [ -z "$(backends)" ]; }
wait_until 10 gone
ok $? "idle workers' backends killed"
t0=$(workers_cpu)
sleep 1	# a window to measure in: a worker woken again and again would use most of it
t1=$(workers_cpu)
[ $((t1 - t0)) -lt 30 ]
ok $? "... no clients worker spins on the closed connection ($((t1 - t0)) ticks of CPU in 1 s)"
read -r good n < <(mixed_round idle)
is "$good" "$n" "... and each of $n mixed requests gets its own answer after it"
[ "$(backends)" != "$idle" ]
ok $? "... on new connections"
done_testing
