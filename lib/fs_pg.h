/*
 * fs_pg.h - one PostgreSQL connection with its prepared statements, shared by the workers
 * (lib/) and the relay (relay/).
 *
 * The connection opens on first use and again after PostgreSQL went away. Each new
 * connection gets the session settings (statement_timeout and TimeZone from the config,
 * plan_cache_mode when asked) and every statement of every table added with fs_pg_add()
 * prepared, once its schema is known to be the one this build was made for (else
 * ERR_SCHEMA_OUTDATED or ERR_SCHEMA_NEWER, checked again on the next use). A statement
 * run on a connection found dead while no transaction was open is run once more on a new one (the server restarted since: nothing was done). A lost database
 * is ERR_DATABASE_UNAVAILABLE, never an exit.
 */
#ifndef FS_PG_H
#define FS_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <libpq-fe.h>

#include "fs_config.h"
#include "fs_error.h"

/*
 * One named statement, prepared once per connection: it runs with PostgreSQL's cached plan.
 * A NULL SQL is skipped (a statement this program does not use). Statements whose best plan
 * depends on their values (a search pattern) are lazy ones without a name (below).
 */
struct fs_pg_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/*
 * A statement prepared when it first runs on a connection rather than on every new one: one
 * of a family too large to prepare ahead (the list's forms, one per combination of the
 * filters a request gives). At most FS_PG_MAX_LAZY are prepared on one connection; past
 * them one is sent unprepared, planned on each run, so no client can make a connection keep
 * an unbounded number of plans. One without a name is never prepared: it is sent with its
 * values and planned for them every time.
 */
struct fs_pg_lazy {
	struct fs_pg_stmt st;		/* a name no other statement has, or none */
	unsigned long prepared_on;	/* the connection (fs_pg_generation) it is prepared on; 0: none */
};

#define FS_PG_MAX_LAZY 32

/* fs_pg_init flags. */
#define FS_PG_CUSTOM_PLANS 0x1	/* plan_cache_mode = force_custom_plan ("$n IS NULL OR" filters) */
#define FS_PG_HOLD_OFF 0x2	/* while the database stays away, at most one attempt a second */

#define FS_PG_MAX_TABLES 4

struct fs_pg {
	PGconn *conn;				/* NULL while not connected */
	const struct fs_config *cfg;		/* borrowed */
	char appname[64];			/* application_name unless the URL sets one */
	unsigned flags;
	struct {
		const struct fs_pg_stmt *stmts;	/* borrowed */
		size_t n;
	} tables[FS_PG_MAX_TABLES];
	size_t ntables;
	unsigned long generation;		/* connections made so far */
	int nlazy;				/* lazy statements prepared on this connection */
	int down;				/* the outage has been logged */
	struct timespec retry_at;		/* FS_PG_HOLD_OFF: no attempt before this */
	/* Unused: every line goes through fs_log.h. Kept until relay/backlog.c stops setting it. */
	void (*log)(const char *fmt, ...);
	/* Run on each new connection once it is set up (NULL: nothing); a failure is only logged. */
	void (*on_connect)(struct fs_pg *pg, void *arg);
	void *on_connect_arg;
	/* fs_pg_stream.h: statements sent, results not taken; groups whose sync marker is unread. */
	int stream_unread, stream_syncs;
	bool stream_open;		/* statements sent since the last sync */
	PGresult *stream_got;		/* the oldest's result, read before its end */
	bool stream_extra;		/* and another came that fails it */
	/* Takes every result in flight before another use (fs_pg_stream.h); NULL: none. */
	void (*finish_stream)(void *arg);
	void *finish_stream_arg;
};

/* Sets up PG over CFG (borrowed, must outlive PG) as APPNAME with FLAGS; connects lazily. */
void fs_pg_init(struct fs_pg *pg, const struct fs_config *cfg, const char *appname, unsigned flags);

/*
 * Adds the N statements STMTS (borrowed, must outlive PG) to those prepared on each new
 * connection; call before the first use. FS_OK, or ERR_INTERNAL when FS_PG_MAX_TABLES are in.
 */
enum fs_err fs_pg_add(struct fs_pg *pg, const struct fs_pg_stmt *stmts, size_t n);

/* Closes the connection, if any; PG may be used again (it reconnects). */
void fs_pg_close(struct fs_pg *pg);

/*
 * A connection for a command-line tool (fieldsync-migrate, fieldsync-admin) to URL: 5 s to
 * connect, UTF-8, PROG as the application name unless URL names one, NOTICEs kept out of
 * its output. NULL when it cannot, with the first line of why in WHY (SIZE bytes).
 */
PGconn *fs_pg_connect_tool(const char *url, const char *prog, char *why, size_t size);

/*
 * The database is known to be back (another connection of the same program reached it):
 * PG's next use connects at once, not after FS_PG_HOLD_OFF's wait.
 */
void fs_pg_retry_now(struct fs_pg *pg);

/* Whether PG holds a connection that has not broken (false after a lost one was closed). */
bool fs_pg_connected(const struct fs_pg *pg);

/*
 * Takes what is in flight (fs_pg_stream_finish), then connects, sets the session up and
 * prepares unless connected. FS_OK or ERR_DATABASE_UNAVAILABLE in ERR.
 */
enum fs_err fs_pg_ready(struct fs_pg *pg, struct fs_error *err);

/*
 * Runs the prepared statement ST (an entry of an added table) with PARAMS (text, NULL for
 * SQL NULL). FS_OK with the result in *OUT (the caller PQclear()s it); on failure the code
 * set in ERR by fs_pg_map_error, with *OUT holding the failed result when the server
 * answered (the caller may map its SQLSTATE further, and PQclear()s it) or NULL.
 */
enum fs_err fs_pg_exec(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params,
    PGresult **out, struct fs_error *err);

/*
 * Runs the plain SQL COMMAND (BEGIN, COMMIT, ROLLBACK, ...), retried like fs_pg_exec. FS_OK,
 * or the code set in ERR; a COMMIT that the server turned into a ROLLBACK is ERR_INTERNAL.
 */
enum fs_err fs_pg_command(struct fs_pg *pg, const char *command, struct fs_error *err);

/*
 * Maps the failed result R (NULL: no answer) to ERR without knowing any table: no SQLSTATE,
 * a lost or overloaded server, a timeout or a serialisation failure are
 * ERR_DATABASE_UNAVAILABLE (a broken connection is closed); class 22 is ERR_INVALID_FORMAT;
 * class 23 is ERR_MISSING_FIELD (23502), ERR_UNKNOWN_REFERENCE (23503), ERR_DUPLICATE_VALUE
 * (23505) or ERR_INVALID_VALUE, with no field (a caller that knows the table refines it);
 * the rest ERR_INTERNAL, logged. Returns the code.
 */
enum fs_err fs_pg_map_error(struct fs_pg *pg, const PGresult *r, struct fs_error *err);

/*
 * Asynchronous use, for an event loop (the relay): sends the prepared statement ST with
 * PARAMS on PG's connection in libpq's non-blocking mode, connecting first when needed
 * (the connection itself is made as fs_pg_ready does: bounded by connect_timeout, at most
 * once a second while the database stays away). The caller watches PQsocket(), flushes
 * (PQflush) and reads the answer (PQconsumeInput, PQisBusy, PQgetResult); fs_pg_exec must
 * not be used on PG while an answer is due. FS_OK, or ERR_DATABASE_UNAVAILABLE in ERR.
 */
enum fs_err fs_pg_send(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params,
    struct fs_error *err);

/*
 * Runs the lazy statement L with PARAMS like fs_pg_exec (preparing it first when it is not yet
 * on this connection), but hands each row to EACH (a one-row result, freed after the call) as
 * it arrives instead of the whole result at once: a caller that bounds what it keeps in bytes
 * never holds more than one row beyond it. EACH returns FS_OK to go on, or a code it set in
 * ERR: the rows left are then read and dropped. FS_OK, or the code in ERR (the statement's
 * failure mapped by fs_pg_map_error, or EACH's).
 */
enum fs_err fs_pg_each_row(struct fs_pg *pg, struct fs_pg_lazy *l, const char *const *params,
    enum fs_err (*each)(const PGresult *row, void *arg), void *arg, struct fs_error *err);

/* How many connections PG made so far: a module caching per-connection facts compares it. */
unsigned long fs_pg_generation(const struct fs_pg *pg);

#endif
