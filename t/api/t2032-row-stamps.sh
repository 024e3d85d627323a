#!/bin/bash
# What every written row gets, from any writer (a bulk POST, psql): created_by and updated_by
# the transaction's actor whatever the writer sent (column defaults, and guarded triggers for
# writers that name them), and a change_log entry holding the row as stored.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib-api.sh"
require_stack

BR=$(new_branch)
me=$(sql "select id from users where login = '$SUITE_LOGIN'")
other=$(uuid) actor=$(uuid)
# by ID: created_by|updated_by of client ID ("-" for none).
by() {
	sql "select coalesce(created_by::text, '-') || '|' || coalesce(updated_by::text, '-') from clients where id = '$1'"
}
# as_actor SQL: runs SQL in a transaction whose actor is $actor; prints its output.
as_actor() { sql "begin; set local fieldsync.actor = '$actor'; $1; commit;" | grep -v '^$'; }

rows=$(jq -cn --arg b "$BR" --arg o "$other" '[range(3) | {branch: $b, name: "stamped \(.)", created_by: $o}]')
json POST /api/clients "$rows"
is_status 201 "a bulk POST naming created_by answers 201"
is "$(sql "select string_agg(distinct coalesce(created_by::text, '-') || '|' || coalesce(updated_by::text, '-'), ' ')
	from clients where branch = '$BR'")" "$me|$me" "every row of the batch is the user's, whatever it sent"
is "$(sql "select count(*) from change_log c join clients t on t.id = c.row_id
	where t.branch = '$BR' and c.action = 'create' and c.actor = '$me' and c.data = to_jsonb(t)")" 3 \
	"each row's change_log entry has the actor and the row as stored"
ok_jq "all(.[]; .created_by == \"$me\" and .updated_by == \"$me\")" "the answer shows them"

id=$(as_actor "insert into clients (branch, name) values ('$BR', 'plain') returning id")
is "$(by "$id")" "$actor|$actor" "psql with an actor, columns not named: both are the actor"
id=$(as_actor "insert into clients (branch, name, created_by, updated_by)
	values ('$BR', 'named', '$other', NULL) returning id")
is "$(by "$id")" "$actor|$actor" "psql naming other values: both are still the actor"
id2=$(sql "insert into clients (branch, name, created_by, updated_by)
	values ('$BR', 'none', '$other', '$other') returning id" | head -n 1)
is "$(by "$id2")" "-|-" "psql without an actor naming values: none kept"

as_actor "update clients set name = 'renamed' where id = '$id2'" >/dev/null
is "$(by "$id2")" "-|$actor" "an update stamps updated_by, created_by stays"
actor2=$actor actor=$(uuid)
as_actor "update clients set created_by = '$other', updated_by = '$other' where id = '$id'" >/dev/null
is "$(by "$id")" "$actor2|$actor" "an update naming both: created_by stays, updated_by is the actor"
sql "update clients set notes = 'x' where id = '$id'"
is "$(by "$id")" "$actor2|-" "an update without an actor: updated_by none"

is "$(sql "select count(*) from change_log_tables l where
	(select count(*) from pg_trigger g where g.tgrelid = l.name::regclass
	 and g.tgname in (l.name || '_actor', l.name || '_actor_update')) <> 2
	or (select count(*) from pg_attribute a where a.attrelid = l.name::regclass
	 and a.attname in ('created_by', 'updated_by')
	 and pg_get_expr((select d.adbin from pg_attrdef d where d.adrelid = a.attrelid and d.adnum = a.attnum),
	                 a.attrelid) = 'fs_actor()') <> 2")" 0 \
	"every logged table has both stamps' triggers and defaults"

done_testing
