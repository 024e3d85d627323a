/*
 * backlog.h - the relay's database: one fs_pg connection (lib/fs_pg.h) with the change log
 * statements of lib/fs_changelog.h prepared on it, in the relay's conventions (0 or -1,
 * failures logged by fs_pg, at most one connection attempt a second while PostgreSQL is
 * away). A database that is down makes the calls fail, never the relay exit.
 */
#ifndef RELAY_BACKLOG_H
#define RELAY_BACKLOG_H

#include <stdint.h>

#include <libpq-fe.h>

#include "fs_auth.h"
#include "fs_changelog.h"
#include "fs_config.h"
#include "fs_pg.h"
#include "fs_types.h"
#include "frame.h"

struct backlog {
	struct fs_pg pg;
	struct fs_changelog log;	/* over pg */
	struct fs_auth auth;		/* who opens a stream, over pg (never cached: asked fresh) */
};

/*
 * The entries of auth_changes after AFTER, oldest first, at most 1000: rows of (seq, user
 * id, why), text. The caller PQclear()s the result. NULL when unavailable.
 */
PGresult *backlog_auth_changes(struct backlog *b, int64_t after);

/* Sets *SEQ to the newest auth_changes entry (0 for none). 0, or -1 when unavailable. */
int backlog_auth_head(struct backlog *b, int64_t *seq);

/* Sets up B over CFG (borrowed, must outlive B); connects lazily. 0, or -1. */
int backlog_init(struct backlog *b, const struct fs_config *cfg);

/* Closes the connection and frees what B holds. */
void backlog_close(struct backlog *b);

/* Sets *HEAD to the change log's head (fs_changelog_head). 0, or -1 when unavailable. */
int backlog_head(struct backlog *b, int64_t *head);

/* Sets *PRUNED to the seq at or below which entries were pruned. 0, or -1 when unavailable. */
int backlog_horizon(struct backlog *b, int64_t *pruned);

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
 * FS_CHANGELOG_SEQ, _TYPE, _BRANCH, _EVENT and _OWNER. The caller PQclear()s the result.
 * NULL when unavailable.
 */
PGresult *backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit, size_t max_bytes);

/* Whether RES (backlog_fetch with LIMIT) holds every entry left in its range. */
int backlog_range_ended(const PGresult *res, int limit);

/* Row K of RES (backlog_fetch) as a frame the caller owns (free() it), or NULL (frame_new). */
struct frame *backlog_frame(const PGresult *res, int k);

/*
 * The tracked tables with each one's permissions (fs_changelog_tables), loaded again when
 * due; while the database is away the last list loaded (empty before the first). B keeps
 * it; valid until the next call, so no pointer into it is kept across calls.
 */
const struct fs_tables *backlog_tables(struct backlog *b);

/* Deletes entries older than DAYS days; sets *GONE to how many. 0, or -1 when unavailable. */
int backlog_prune(struct backlog *b, int days, long long *gone);

#endif
