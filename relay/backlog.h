/*
 * backlog.h - the relay's database: connections (lib/fs_pg.h) with the change log
 * statements of lib/fs_changelog.h and the session lookup of lib/fs_auth.h prepared on
 * them, each statement run without blocking (queries.h). The functions below queue a
 * statement and return 0, or -1 when it cannot be queued (nothing will be called); the
 * answer goes to DONE(ARG, result) later, NULL when the database could not answer (logged).
 *
 * Statements on one connection run one after the other, so the work is split in lanes of
 * their own connection: delivery (the head, the entries after it), catch-up pages
 * (pages.h), control (session lookups, auth_changes, the horizon, the tables) and upkeep
 * (retention's long DELETE); none waits behind another's slow statement. A database that is down
 * makes statements fail, never the relay exit; at most one connection attempt a second is
 * made per lane while it is away.
 */
#ifndef RELAY_BACKLOG_H
#define RELAY_BACKLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "fs_auth.h"
#include "fs_changelog.h"
#include "fs_config.h"
#include "fs_pg.h"
#include "fs_types.h"
#include "frame.h"
#include "queries.h"

enum lane_name { LANE_LIVE, LANE_CATCHUP, LANE_CONTROL, LANE_UPKEEP, LANES };

struct lane {
	struct fs_pg pg;
	struct fs_changelog log;	/* over pg: its statements (the control lane's: the tables) */
	struct fs_auth auth;		/* the session lookup's statement (never cached: asked fresh) */
	struct queries q;		/* over pg, on the relay's loop */
};

struct backlog {
	struct lane lane[LANES];
	bool loading_tables;		/* a load of the tables is queued */
};

/* Sets up B over CFG (borrowed, must outlive B) on BASE; connects lazily. 0, or -1. */
int backlog_init(struct backlog *b, const struct fs_config *cfg, struct event_base *base);

/* Closes the connections and frees what B holds; no answer due is called. */
void backlog_close(struct backlog *b);

/* Drops every answer due to ARG (it is going away): their callbacks are never called. */
void backlog_cancel(struct backlog *b, const void *arg);

/* Statements queued and not answered yet, in every lane. */
size_t backlog_waiting(const struct backlog *b);

/* The change log's head (fs_changelog_head): one number, fs_changelog_number(). */
int backlog_head(struct backlog *b, query_done *done, void *arg);

/* The seq at or below which entries were pruned: one number, fs_changelog_number(). */
int backlog_horizon(struct backlog *b, query_done *done, void *arg);

/* The newest auth_changes entry (0 for none): one number. */
int backlog_auth_head(struct backlog *b, query_done *done, void *arg);

/* The entries of auth_changes after AFTER, oldest first, at most 1000: rows of (seq, user id, why), text. */
int backlog_auth_changes(struct backlog *b, int64_t after, query_done *done, void *arg);

/* The session whose token hashes to HASH, read fresh: fs_auth_lookup_user() reads the answer. */
int backlog_lookup(struct backlog *b, const unsigned char *hash, query_done *done, void *arg);

/* Deletes entries older than DAYS days: one number, how many. */
int backlog_prune(struct backlog *b, int days, query_done *done, void *arg);

/*
 * The tracked tables with each one's permissions (fs_changelog_tables) as last loaded (the
 * empty list before the first load), and whether they were loaded yet. Valid until the
 * next load, so no pointer into it is kept across turns of the loop.
 */
const struct fs_tables *backlog_tables(const struct backlog *b);
bool backlog_tables_known(const struct backlog *b);

/* Queues a load of the tables when one is due (fs_changelog_tables_due) and none is queued. */
void backlog_refresh_tables(struct backlog *b);

/*
 * A page of the change log, $1 < seq <= $2, bounded in rows ($3) and in bytes ($4: the rows
 * whose events start under it, so the first always comes); the last column is how many rows
 * the row bound alone gave, to tell a page cut short by bytes from the end of the range.
 */
#define BACKLOG_PAGE_SQL \
	"WITH p AS (SELECT c.seq, c.resource || ':' || c.action AS type, c.branch," \
	" fs_change_event(c) AS ev, c.owner FROM change_log c" \
	" WHERE c.seq > $1::bigint AND c.seq <= $2::bigint ORDER BY c.seq LIMIT $3::integer)," \
	" q AS (SELECT p.*, sum(octet_length(ev)) OVER (ORDER BY seq) - octet_length(ev) AS before," \
	" count(*) OVER () AS n FROM p)" \
	" SELECT seq, type, branch, ev, owner, n FROM q WHERE before < $4::bigint ORDER BY seq"

/* The column of backlog_fetch's rows after FS_CHANGELOG_OWNER: rows the row bound gave. */
enum { BACKLOG_PAGE_ROWS = FS_CHANGELOG_OWNER + 1 };

/*
 * The entries with AFTER < seq <= UPTO, oldest first, at most LIMIT of them and those that
 * start within MAX_BYTES of event text (the first always comes), as rows of
 * FS_CHANGELOG_SEQ, _TYPE, _BRANCH, _EVENT and _OWNER.
 */
int backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit, size_t max_bytes,
    query_done *done, void *arg);

/* The same, in the catch-up lane (pages.h): a long catch-up never delays delivery. */
int backlog_catchup(struct backlog *b, int64_t after, int64_t upto, int limit, size_t max_bytes,
    query_done *done, void *arg);

/* Whether RES (backlog_fetch with LIMIT) holds every entry left in its range. */
int backlog_range_ended(const PGresult *res, int limit);

/* Row K of RES (backlog_fetch) as a frame the caller owns (free() it), or NULL (frame_new). */
struct frame *backlog_frame(const PGresult *res, int k);

#endif
