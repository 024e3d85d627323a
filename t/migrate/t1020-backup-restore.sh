#!/bin/bash
# Backup and restore as the README says: pg_dump -Fc of the stack's database, pg_restore
# into a fresh database, SELECT fs_after_restore(); then the restore holds what the backup
# had, new changes continue above every seq given out before (also those the restore
# lost), and streams that were open before are told to reload, whether their position is
# from before the backup or from a change the restore lost, while a new stream goes on
# live. The restored database is a throw-away one next to the stack's, dropped at the end.

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../realtime/lib-realtime.sh
. "$(dirname "$0")/../realtime/lib-realtime.sh"

require_stack
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || skip_all "pg_dump and pg_restore missing"
[ -x "${FIELDSYNC_RELAY_BIN:-}" ] || skip_all "the relay is not built"
suite_token_load || bail_out "the suite's admin cannot sign in"

DB=fieldsync_restore_test_$(uniq_token)
admin() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }
trap 'admin "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rt_cleanup' EXIT
URL=$(with_dbname "$DB")
rsql() { psql "$URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

branch=$(new_branch)
kept=$(insert_client "$branch" "Before the backup")
before=$(seq_of "$kept")

pg_dump -Fc -f "$RT_TMP/backup.dump" "$DATABASE_URL" 2>"$RT_TMP/dump.err"
ok $? "pg_dump -Fc takes a backup" || diag "$(cat "$RT_TMP/dump.err")"

# A change after the backup: the restore loses it, but a browser may have seen its seq.
lost_id=$(insert_client "$branch" "After the backup")
lost=$(seq_of "$lost_id")

admin "CREATE DATABASE $DB"
pg_restore --no-owner --no-privileges -d "$URL" "$RT_TMP/backup.dump" 2>"$RT_TMP/restore.err"
ok $? "pg_restore into a fresh database" || diag "$(tail -n 5 "$RT_TMP/restore.err")"
is "$(rsql "SELECT count(*) FROM clients WHERE id = '$kept'")" 1 "the restored database holds what the backup had"
is "$(rsql "SELECT count(*) FROM clients WHERE id = '$lost_id'")" 0 "... and not what was written after it"

head=$(rsql "SELECT fs_after_restore()")
ok "$([ "${head:-0}" -gt "$lost" ]; echo $?)" "fs_after_restore() moves the head above every seq given out before ($head > $lost)"
new_id=$(rsql "INSERT INTO clients (branch, name) VALUES ('$branch', 'After the restore') RETURNING id")
new_seq=$(rsql "SELECT max(seq) FROM change_log WHERE row_id = '$new_id'")
ok "$([ "${new_seq:-0}" -gt "$head" ]; echo $?)" "a write after the restore gets a seq above it ($new_seq)"

# A relay on the restored database, as after the restart that follows a restore.
DATABASE_URL=$URL private_relay restored || bail_out "no relay on the restored database"
pr_subscribe early "" -H "Last-Event-ID: $before"
pr_subscribe saw_lost "" -H "Last-Event-ID: $lost"
pr_subscribe fresh ""
ok "$(wait_until 5 has_event early reload; echo $?)" "a stream resuming from before the backup is told to reload"
ok "$(wait_until 5 has_event saw_lost reload; echo $?)" "... so is one that saw a change the restore lost"
wait_ready fresh || diag "no ready event on a new stream"
is "$READY_SEQ" "$new_seq" "a new stream starts at the restored database's head"
live_id=$(rsql "INSERT INTO clients (branch, name) VALUES ('$branch', 'Live after the restore') RETURNING id")
ok "$(wait_until 5 has_event fresh clients:create "$live_id"; echo $?)" "... and gets the changes that follow"

done_testing
