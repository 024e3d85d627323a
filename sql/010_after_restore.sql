-- 010: after a restore. A database restored from a backup (pg_restore of pg_dump -Fc) lacks every
-- change written after the backup was taken, and browsers and feed readers may hold positions (seqs)
-- of those lost changes. SELECT fs_after_restore(), once, right after pg_restore and before the
-- workers and the relay start, moves the change log ahead by a billion seqs and prunes its history up
-- to there: every stream and feed reader that was connected before is told to reload once (`reload`
-- history_gone on the stream, 410 on the feed), no new change reuses a seq a client may have seen, and
-- new changes continue above it. It returns the new head.
CREATE FUNCTION fs_after_restore() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	jump CONSTANT bigint := 1000000000;
	head bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(fs_change_log_lock_key());	-- no commit takes a seq meanwhile
	SELECT greatest(coalesce((SELECT max(seq) FROM change_log), 0), pruned_through,
		(SELECT last_value FROM change_log_seq)) + jump INTO head FROM change_log_horizon;
	PERFORM setval('change_log_seq', head);
	UPDATE change_log_horizon SET pruned_through = head;
	RETURN head;
END $$;
