#!/bin/bash
# The declaration is the single source: every cgi-bin binary describes itself with
# --describe, the descriptions are well formed, the browser's schema (www/schema.js) is
# made from them, and the database tracks the changes of every resource they name.
. "$(dirname "$0")/../lib/tap.sh"

top=$FIELDSYNC_TOP
bins=("$top"/cgi-bin/*.fcgi)
[ -x "${bins[0]}" ] || bail_out "no cgi-bin/*.fcgi built (run make)"
tables=

for bin in "${bins[@]}"; do
	name=$(basename "$bin" .fcgi)
	d=$("$bin" --describe 2>&1)
	rc=$?
	if ! ok $((rc != 0)) "$name --describe exits 0" ||
		! ok "$(jq -e . <<<"$d" >/dev/null 2>&1; echo $?)" "$name --describe is JSON"; then
		diag "$d"
		continue
	fi
	is "$(jq -r .path <<<"$d")" "$name" "$name: path is the binary's name"
	kind=$(jq -r .kind <<<"$d")
	like "$kind" '^(resource|feed|session|users|health|metrics)$' "$name: kind is resource, feed, session, users, health or metrics"
	case $name in
	changes) is "$kind" feed "changes: kind is feed" ;;
	session | users | health | metrics) is "$d" "{\"kind\":\"$name\",\"path\":\"$name\"}" "$name: describes itself as kind $name only" ;;
	esac
	[ "$kind" = resource ] || continue
	tables="$tables $(jq -r .table <<<"$d")"
	is "$(jq -r '[.columns[].name] | .[:2] + .[-5:] | join(" ")' <<<"$d")" \
		"id branch created_at updated_at version created_by updated_by" \
		"$name: the common columns first and last"
	is "$(jq -r '[.columns[] | select(.common | not) | select(.readonly | not) | select(.example == null and .references == null) | .name] | join(" ")' <<<"$d")" \
		"" "$name: every domain column a client sends has an example (or is a reference)"
	is "$(jq -r '[.columns[].name] as $c | [.filters[].columns[], .sort, .label] - $c | join(" ")' <<<"$d")" \
		"" "$name: filters, sort and label name columns of the resource"
	is "$(jq -r '.filters[0].name' <<<"$d")" branch "$name: branch is the first filter"
	is "$(jq -r '[.columns[] | select(.type == "enum") | select(.example != null) | select(.example as $e | .values | index($e) | not) | .name] | join(" ")' <<<"$d")" \
		"" "$name: enum examples are among the values"
	ok "$(jq -e '.permissions | type == "object"' <<<"$d" >/dev/null; echo $?)" \
		"$name: permissions are declared"
	is "$(jq -r '.permissions | keys - ["rep", "manager", "finance", "hr"] | join(" ")' <<<"$d")" "" \
		"$name: permissions name only the branch roles (admin may do everything)"
	is "$(jq -r '[.permissions[] | .own - .ops] | add // [] | join(" ")' <<<"$d")" "" \
		"$name: what is limited to own rows is granted at all"
	is "$(jq -r '([.columns[] | select(.name == "status") | .values] | first // []) as $v
		| [.permissions[] | (.sets // []) + (.while_in // []) | .[]] - $v | join(" ")' <<<"$d")" "" \
		"$name: the statuses in the permissions are statuses of the resource"
	is "$(jq -r '[.columns[].name] as $c | [.owner, .approver | select(. != null)] - $c | join(" ")' <<<"$d")" \
		"" "$name: owner and approver are columns"
done

# The browser's schema is the binaries' descriptions, resources only.
want=$(for bin in "${bins[@]}"; do "$bin" --describe; done | jq -sc '[.[] | select(.kind == "resource")]')
got=$(cd "$top/www" && node --input-type=module -e \
	'const m = await import("./schema.js"); console.log(JSON.stringify(m.default));' 2>&1)
is "$(jq -c . <<<"$got" 2>/dev/null)" "$want" "www/schema.js holds exactly what the binaries describe"

if [ -n "${DATABASE_URL:-}" ]; then
	tracked=$(sql "select string_agg(name, ' ' order by name) from change_log_tables" 2>&1)
	is "$tracked" "$(tr ' ' '\n' <<<"$tables" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')" \
		"the change log tracks exactly the tables the binaries describe"
	missing=$(sql "select string_agg(t.name || '_log_' || k, ' ') from change_log_tables t,
		unnest(array['inserts', 'updates', 'deletes']) k
		where not exists (select 1 from pg_trigger g where g.tgrelid = t.name::regclass
		and g.tgname = t.name || '_log_' || k)" 2>&1)
	is "$missing" "" "every tracked table has its change-log triggers"
fi

done_testing
