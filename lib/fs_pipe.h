/*
 * fs_pipe.h - several statements of a worker's write in one round trip to PostgreSQL
 * (libpq's pipeline mode): sent together, answered in order, the first failure making the
 * rest of the batch skipped (its transaction, if one is open, is then aborted).
 *
 * Every statement of the write path goes through here, so the round trips a write costs
 * are counted in one place (fs_pipe_round_trips, shown by GET /api/metrics).
 */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include "fs_db.h"

#define FS_PIPE_MAX 8

/* One statement: the prepared statement STMT with PARAMS, or the plain COMMAND when set. */
struct fs_pipe_step {
	enum fs_stmt stmt;
	const char *const *params;
	const char *command;			/* BEGIN, COMMIT, ... (no parameters) */
	const struct fs_pg_stmt *other;		/* or a statement of another table on db's connection */
	int deleting;				/* see fs_db_exec */
};

/* The answers of one batch. */
struct fs_pipe {
	PGresult *res[FS_PIPE_MAX];	/* owned: each step's result, NULL when skipped */
	int n;
	int failed;			/* the step that failed, or -1 */
	int lost;			/* the connection broke during the batch */
};

/*
 * Runs the N steps (at most FS_PIPE_MAX) on DB in one round trip, into P (fs_pipe_clear frees
 * it). FS_OK when every step succeeded; otherwise the code set in ERR for the first that
 * failed (mapped as fs_db_exec maps it; P->failed says which). IDLE_RETRY: the batch opens
 * the transaction, so a connection found dead before it (a server restarted since) is
 * reconnected and the batch sent once more, as fs_pg_exec does for a single statement.
 */
enum fs_err fs_pipe_run(struct fs_db *db, const struct fs_pipe_step *steps, int n, int idle_retry,
    struct fs_pipe *p, struct fs_error *err);

/* Frees P's results. */
void fs_pipe_clear(struct fs_pipe *p);

/* Round trips made by fs_pipe_run in this process so far. */
unsigned long fs_pipe_round_trips(void);

#endif
