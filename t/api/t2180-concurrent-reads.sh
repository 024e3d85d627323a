#!/bin/bash
# GETs by id that arrive together are answered together (a worker sends the statements of the
# requests ready at once in one round trip: lib/fs_read.c), and each answer is still its own
# request's: many parallel GETs of a rep, of rows in its branch, in another branch and of no
# row at all, each get the row they asked for with its ETag, or a 404 naming their own id.
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=lib-api.sh
. "$(dirname "$0")/lib-api.sh"
# shellcheck source=../auth/lib-auth.sh
. "$(dirname "$0")/../auth/lib-auth.sh"
require_stack

A=$(new_branch) B=$(new_branch)
declare -A LOGIN=() TOK=() WANT=()
sign_in rep rep "$A"

# 24 clients the rep may read, 8 it may not, 8 ids of no row.
rows='[]'
for i in $(seq 24); do rows=$(jq -c --arg b "$A" --arg n "t2180 a$i" '. + [{branch: $b, name: $n}]' <<<"$rows"); done
for i in $(seq 8); do rows=$(jq -c --arg b "$B" --arg n "t2180 b$i" '. + [{branch: $b, name: $n}]' <<<"$rows"); done
json POST /api/clients "$rows"
is_status 201 "32 clients made in two branches" || bail_out "cannot make the clients"
while IFS=' ' read -r id branch name; do
	if [ "$branch" = "$A" ]; then WANT[$id]="200 $name"; else WANT[$id]=404; fi
done < <(jqb '.[] | "\(.id) \(.branch) \(.name)"')
for i in $(seq 8); do WANT[$(uuid)]=404; done

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# one_round: every id twice, all at once (up to 40 in flight), as the rep; counts the answers
# that are exactly what their own request asked for (each body in a file named after its id).
one_round() {
	local args=() n=0 good=0 id got name file status etag
	for id in "${!WANT[@]}" "${!WANT[@]}"; do
		n=$((n + 1))
		args+=(-o "$dir/$n.$id" "$FIELDSYNC_URL/api/clients?id=$id")
	done
	while read -r file status etag; do
		id=${file##*.}
		if [ "${WANT[$id]}" = 404 ]; then
			got=$(jq -r --arg id "$id" 'select(.error.code == "not_found" and (.error.message | contains($id)))
				| "404"' "$file" 2>/dev/null)
			[ "$status $got $etag" = "404 404 " ] && good=$((good + 1))
		else
			name=${WANT[$id]#200 }
			got=$(jq -r --arg id "$id" --arg n "$name" 'select(.id == $id and .name == $n) | "ok"' \
				"$file" 2>/dev/null)
			[ "$status $got $etag" = '200 ok "1"' ] && good=$((good + 1))
		fi
	done < <(curl -sS -Z --parallel-max 40 --max-time 30 -H "Authorization: Bearer ${TOK[rep]}" \
		-w '%{filename_effective} %{http_code} %header{etag}\n' "${args[@]}")
	echo "$good $n"
}

for round in 1 2 3; do
	read -r good n < <(one_round)
	is "$good" "$n" "round $round: each of $n parallel GETs by id got its own answer (row and ETag, or a 404 naming its id)"
done
done_testing
