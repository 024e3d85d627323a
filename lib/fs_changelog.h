/*
 * fs_changelog.h - every statement over the change log, for the relay (relay/backlog.c)
 * and the changes feed (lib/fs_changes.c): the head, the pruning horizon, a page of
 * entries after a seq, pruning, a transaction's own entries, and the tracked tables.
 *
 * The head is greatest(max(seq), pruned_through) everywhere: after retention pruned every
 * entry, the log is still at the last seq it ever held, so a reader at the head is told
 * nothing new rather than "history gone".
 */
#ifndef FS_CHANGELOG_H
#define FS_CHANGELOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fs_error.h"
#include "fs_pg.h"
#include "fs_types.h"

struct fs_changelog {
	struct fs_pg *pg;		/* borrowed */
	struct fs_tables tables;	/* owned: change_log_tables as last loaded */
	unsigned long tables_gen;	/* the connection they were loaded on; 0: not loaded */
	time_t tables_at;		/* when (CLOCK_MONOTONIC seconds) */
	time_t tables_ttl;		/* seconds they are trusted for */
};

/* Which entries fs_changelog_since and fs_changelog_page read. */
struct fs_changelog_range {
	int64_t after;			/* seq > after */
	int64_t upto;			/* seq <= upto; -1: no bound */
	int limit;			/* at most this many entries */
	const char *patterns;		/* fs_types_patterns() text, or NULL for every type; borrowed */
	const char *branch;		/* only this branch's rows, or NULL; borrowed */
	/*
	 * What the reader may see, or NULL for everything: a JSON object naming for each table
	 * the branches where every row is visible and those where only the reader's own rows
	 * are, as PostgreSQL text[] literals ({"clients": {"all": "{A}", "own": "{}"}}; see
	 * fs_perm_branches); a table it does not name is invisible. LOGIN: the reader's login.
	 */
	const char *rights, *login;
	long max_bytes;			/* fs_changelog_page: bytes of entries a page holds; 0: no bound */
};

/*
 * The columns of each row fs_changelog_since returns, all text. FS_CHANGELOG_OWNER is the
 * row's owner (change_log.owner, the login its resource's owner column named, tombstones
 * included); SQL NULL (PQgetisnull) when the resource has no owner column or the row none.
 */
enum { FS_CHANGELOG_SEQ, FS_CHANGELOG_TYPE, FS_CHANGELOG_BRANCH, FS_CHANGELOG_EVENT,
	FS_CHANGELOG_OWNER };

/* One page of the feed, as fs_changelog_page fills it. */
struct fs_changelog_page {
	char *changes;			/* owned: a JSON array of event payloads, seq order */
	int more;			/* entries after the page passed the range too */
	int64_t next;			/* the seq to ask from next: the page's last, or the head */
	int64_t horizon;		/* entries at or below it were pruned */
	int64_t head;			/* the head (see above) */
};

/* Sets CL up over PG (borrowed, must outlive CL) and adds its statements to PG. FS_OK or ERR_INTERNAL. */
enum fs_err fs_changelog_init(struct fs_changelog *cl, struct fs_pg *pg);

/* Frees what CL owns (the table list); PG stays the caller's. */
void fs_changelog_release(struct fs_changelog *cl);

/* Sets *HEAD to the head: greatest(newest seq, pruning horizon), 0 for an empty log. FS_OK or ERR. */
enum fs_err fs_changelog_head(struct fs_changelog *cl, int64_t *head, struct fs_error *err);

/* Sets *PRUNED to the seq at or below which entries were pruned. FS_OK or ERR. */
enum fs_err fs_changelog_horizon(struct fs_changelog *cl, int64_t *pruned, struct fs_error *err);

/*
 * The entries in range Q, oldest first, as rows of FS_CHANGELOG_SEQ, _TYPE, _BRANCH,
 * _EVENT (the event payload JSON) and _OWNER, into *OUT (the caller PQclear()s it). FS_OK
 * or ERR.
 */
enum fs_err fs_changelog_since(struct fs_changelog *cl, const struct fs_changelog_range *q,
    PGresult **out, struct fs_error *err);

/*
 * The feed's page for range Q (Q->upto is ignored) in one round trip, into PAGE; the
 * caller frees PAGE->changes. FS_OK or ERR (PAGE->changes NULL).
 */
enum fs_err fs_changelog_page(struct fs_changelog *cl, const struct fs_changelog_range *q,
    struct fs_changelog_page *page, struct fs_error *err);

/* Deletes entries older than DAYS days and moves the horizon; *GONE says how many. FS_OK or ERR. */
enum fs_err fs_changelog_prune(struct fs_changelog *cl, int days, int64_t *gone, struct fs_error *err);

/*
 * The entries of transaction XID (pg_current_xact_id() text), seq order, as rows of (type,
 * seq), text, into *OUT (the caller PQclear()s it): what a worker announces after COMMIT.
 * FS_OK or ERR.
 */
enum fs_err fs_changelog_of_xid(struct fs_changelog *cl, const char *xid, PGresult **out,
    struct fs_error *err);

/*
 * The tables whose changes are logged (change_log_tables) with each one's permissions as
 * its workers recorded them (out->decl, fs_declared_parse of the declaration column; see
 * fs_tables_resource), into *OUT (CL keeps ownership; valid until the next call: keep no
 * pointer into it across calls). Loaded on each new connection and again when a minute
 * old, or when 5 s old while some table has no declaration yet (its workers have not
 * connected); while the database is away the last list loaded is answered. FS_OK or ERR.
 */
enum fs_err fs_changelog_tables(struct fs_changelog *cl, const struct fs_tables **out,
    struct fs_error *err);

/*
 * For a caller that runs the statements itself (the relay, on its event loop): the
 * statement of fs_changelog_head, _horizon, _prune and _tables (its $1 for prune: days),
 * FS_CHANGELOG_Q_MINE: the open transaction's own entries as fs_changelog_of_xid's rows, then
 * the branch, the event (fs_change_event; NULL in a transaction of more than
 * FS_CHANGELOG_WHOLE entries) and the owner (a worker runs it in the batch that commits,
 * after SET CONSTRAINTS ALL IMMEDIATE numbered them, and publishes them: lib/fs_events.h),
 * the one number each of the first three answers, whether the table list is due to be
 * loaded again (as fs_changelog_tables decides), and the list taken from the tables
 * statement's answer R (on ERR the old list is kept).
 */
#define FS_CHANGELOG_WHOLE "16"
enum fs_changelog_query { FS_CHANGELOG_Q_HEAD, FS_CHANGELOG_Q_HORIZON, FS_CHANGELOG_Q_PRUNE,
	FS_CHANGELOG_Q_TABLES, FS_CHANGELOG_Q_MINE };
const struct fs_pg_stmt *fs_changelog_statement(enum fs_changelog_query q);
enum fs_err fs_changelog_number(const PGresult *r, int64_t *out, struct fs_error *err);
bool fs_changelog_tables_due(const struct fs_changelog *cl);
enum fs_err fs_changelog_tables_take(struct fs_changelog *cl, const PGresult *r, struct fs_error *err);

#endif
