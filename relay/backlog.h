/*
 * backlog.h - the relay's one PostgreSQL connection and its four statements over the
 * change log: the newest seq, the pruning horizon, a range of events, and pruning.
 *
 * The connection opens on first use and again after PostgreSQL went away (at most one
 * attempt a second while it stays away); every statement is prepared on each new
 * connection. A database that is down makes the calls fail, never the relay exit.
 */
#ifndef RELAY_BACKLOG_H
#define RELAY_BACKLOG_H

#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>

#include "fs_config.h"

struct backlog {
	PGconn *conn;			/* NULL while not connected */
	const struct fs_config *cfg;	/* borrowed */
	struct timespec retry_at;	/* no connection attempt before this */
	int down;			/* the outage has been logged */
};

/* Sets up B over CFG (borrowed, must outlive B); connects lazily. */
void backlog_init(struct backlog *b, const struct fs_config *cfg);

/* Closes the connection, if any. */
void backlog_close(struct backlog *b);

/* Sets *HEAD to the newest seq ever logged (0 for none). 0, or -1 when unavailable. */
int backlog_head(struct backlog *b, int64_t *head);

/* Sets *PRUNED to the seq at or below which entries were pruned. 0, or -1 when unavailable. */
int backlog_horizon(struct backlog *b, int64_t *pruned);

/*
 * The events with AFTER < seq <= UPTO, oldest first, at most LIMIT: rows of (seq, type,
 * payload JSON), all text. The caller PQclear()s the result. NULL when unavailable.
 */
PGresult *backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit);

/* Deletes entries older than DAYS days; sets *GONE to how many. 0, or -1 when unavailable. */
int backlog_prune(struct backlog *b, int days, long long *gone);

#endif
