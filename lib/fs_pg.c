/* fs_pg.c - connection, session settings, prepared statements, one retry after a restart. */
#include <stdio.h>
#include <string.h>

#include "fs_log.h"
#include "fs_pg.h"
#include "fs_pg_stream.h"
#include "fs_schema_version.h"

void
fs_pg_init(struct fs_pg *pg, const struct fs_config *cfg, const char *appname, unsigned flags)
{
	memset(pg, 0, sizeof(*pg));
	pg->cfg = cfg;
	pg->flags = flags;
	snprintf(pg->appname, sizeof(pg->appname), "%s", appname);
}

enum fs_err
fs_pg_add(struct fs_pg *pg, const struct fs_pg_stmt *stmts, size_t n)
{
	if (pg->ntables == FS_PG_MAX_TABLES)
		return ERR_INTERNAL;
	pg->tables[pg->ntables].stmts = stmts;
	pg->tables[pg->ntables].n = n;
	pg->ntables++;
	return FS_OK;
}

PGconn *
fs_pg_connect_tool(const char *url, const char *prog, char *why, size_t size)
{
	/* Defaults first: the expanded dbname comes last, so whatever the URL says wins. */
	const char *const keys[] = { "connect_timeout", "client_encoding", "fallback_application_name",
	    "dbname", NULL };
	const char *const vals[] = { "5", "UTF8", prog, url, NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	PGresult *r = NULL;
	const char *msg = "out of memory";

	if (conn && PQstatus(conn) == CONNECTION_OK) {
		/* NOTICEs such as "already exists, skipping" are noise in a tool's output. */
		r = PQexec(conn, "SET client_min_messages = warning");
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			return conn;
		}
		msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
	} else if (conn) {
		msg = PQerrorMessage(conn);
	}
	snprintf(why, size, "%.*s", (int)strcspn(msg, "\n"), msg);
	PQclear(r);
	PQfinish(conn);
	return NULL;
}

void
fs_pg_close(struct fs_pg *pg)
{
	PQfinish(pg->conn);
	pg->conn = NULL;
	/* What a stream read or sent is gone with it; its sender still takes each statement, failed. */
	PQclear(pg->stream_got);
	pg->stream_got = NULL;
	pg->stream_extra = false;
	pg->stream_syncs = 0;
	pg->stream_open = false;
}

unsigned long
fs_pg_generation(const struct fs_pg *pg)
{
	return pg->generation;
}

/* Closes the connection after a failure WHY (logged once per outage); sets ERR. */
static enum fs_err
went_down(struct fs_pg *pg, const char *why, struct fs_error *err)
{
	if (!pg->down)
		fs_log(FS_LOG_ERROR, "database unavailable: %s", why);
	pg->down = 1;
	fs_pg_close(pg);
	clock_gettime(CLOCK_MONOTONIC, &pg->retry_at);
	pg->retry_at.tv_sec += 1;
	return fs_error_set(err, ERR_DATABASE_UNAVAILABLE, NULL,
	    "the database is unavailable; try again shortly");
}

/* Applies the session settings: statement timeout, time zone, and planning when asked. */
static int
set_session(struct fs_pg *pg)
{
	char timeout[32], lock[32];
	const char *params[4] = { timeout, pg->cfg->timezone,
	    (pg->flags & FS_PG_CUSTOM_PLANS) ? "force_custom_plan" : "auto", lock };
	PGresult *r;
	int ok;

	snprintf(timeout, sizeof(timeout), "%d", pg->cfg->statement_timeout);
	/*
	 * PostgreSQL stops statement_timeout before COMMIT runs the deferred change-log triggers,
	 * so their wait for the log's lock is bounded by lock_timeout instead: no write waits
	 * longer than its write_timeout for it.
	 */
	snprintf(lock, sizeof(lock), "%d", pg->cfg->write_timeout);
	/*
	 * gin_pending_list_limit 512 kB, not 4 MB: rows a write adds wait in the search indexes'
	 * pending lists, which every search scans until they are merged. After a 20,000-row
	 * import a search ran at 1/10 of its speed with 4 MB, at 1/2 with 512 kB, for about 5 %
	 * more time per insert (bench/README).
	 */
	r = PQexecParams(pg->conn, "SELECT set_config('statement_timeout', $1, false),"
	    " set_config('TimeZone', $2, false), set_config('plan_cache_mode', $3, false),"
	    " set_config('lock_timeout', $4, false), set_config('DateStyle', 'ISO', false),"
	    " set_config('gin_pending_list_limit', '512', false)",
	    4, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fs_log(FS_LOG_ERROR, "session settings: %s", PQerrorMessage(pg->conn));
	PQclear(r);
	return ok;
}

/*
 * Compares the newest migration the database holds with the one this build was made with
 * (FS_SCHEMA_VERSION, the last file of sql/): a schema behind or ahead of it is refused
 * before any statement is prepared, with its own code, and said in the log.
 */
static enum fs_err
check_schema(struct fs_pg *pg, struct fs_error *err)
{
	PGresult *r = PQexec(pg->conn, "SELECT coalesce(max(version), '') FROM schema_migrations");
	const char *have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
	int cmp = strcmp(have, FS_SCHEMA_VERSION);
	enum fs_err rc = FS_OK;

	if (cmp < 0)
		rc = fs_error_set(err, ERR_SCHEMA_OUTDATED, NULL, "the database schema is at %s, this build needs %s:"
		    " run fieldsync-migrate", *have ? have : "none", FS_SCHEMA_VERSION);
	else if (cmp > 0)
		rc = fs_error_set(err, ERR_SCHEMA_NEWER, NULL, "the database schema is at %s, newer than this build"
		    " knows (%s): install the binaries that match it", have, FS_SCHEMA_VERSION);
	if (rc != FS_OK)
		fs_log(FS_LOG_ERROR, "%s", err->message);
	PQclear(r);
	return rc;
}

/* Prepares every statement of every added table on the new connection. */
static int
prepare_all(struct fs_pg *pg)
{
	for (size_t t = 0; t < pg->ntables; t++) {
		for (size_t i = 0; i < pg->tables[t].n; i++) {
			const struct fs_pg_stmt *st = &pg->tables[t].stmts[i];
			PGresult *r;
			int ok;

			if (!st->sql || !st->name)
				continue;
			r = PQprepare(pg->conn, st->name, st->sql, st->nparams, NULL);
			ok = PQresultStatus(r) == PGRES_COMMAND_OK;
			if (!ok)
				fs_log(FS_LOG_ERROR, "prepare %s: %s", st->name, PQerrorMessage(pg->conn));
			PQclear(r);
			if (!ok)
				return 0;
		}
	}
	return 1;
}

/* Whether FS_PG_HOLD_OFF forbids a connection attempt now. */
static int
holding_off(const struct fs_pg *pg)
{
	struct timespec now;

	if (!(pg->flags & FS_PG_HOLD_OFF) || !pg->down)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < pg->retry_at.tv_sec ||
	    (now.tv_sec == pg->retry_at.tv_sec && now.tv_nsec < pg->retry_at.tv_nsec);
}

enum fs_err
fs_pg_ready(struct fs_pg *pg, struct fs_error *err)
{
	char timeout[16];
	/* Our defaults come first so that the URL's own settings win over them. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { timeout, pg->appname, pg->cfg->database_url, NULL };

	fs_pg_stream_finish(pg);	/* every use starts here: none inside a stream's pipeline */
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return FS_OK;
	fs_pg_close(pg);
	if (holding_off(pg))
		return fs_error_set(err, ERR_DATABASE_UNAVAILABLE, NULL,
		    "the database is unavailable; try again shortly");
	snprintf(timeout, sizeof(timeout), "%d", pg->cfg->connect_timeout);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn)
		return went_down(pg, "out of memory", err);
	if (PQstatus(pg->conn) != CONNECTION_OK)
		return went_down(pg, PQerrorMessage(pg->conn), err);
	if (!set_session(pg))
		return went_down(pg, "could not prepare the session", err);
	if (check_schema(pg, err) != FS_OK) {
		fs_pg_close(pg);
		return err->code;
	}
	if (!prepare_all(pg))
		return went_down(pg, "could not prepare the session", err);
	if (pg->down)
		fs_log(FS_LOG_INFO, "database connected again");
	pg->down = 0;
	pg->generation++;
	pg->nlazy = 0;
	if (pg->on_connect)
		pg->on_connect(pg, pg->on_connect_arg);
	return FS_OK;
}

/* Whether R is a success. */
static int
succeeded(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Runs the prepared statement ST with PARAMS, or COMMAND when ST is NULL, on a ready connection. */
static PGresult *
run(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *command, const char *const *params)
{
	if (!st)
		return PQexec(pg->conn, command);
	return PQexecPrepared(pg->conn, st->name, st->nparams, params, NULL, NULL, 0);
}

/*
 * Runs like run() after connecting; when the connection turns out dead and no transaction
 * was open (the server restarted since the last statement), nothing was done, so it
 * reconnects at once and runs once more. FS_OK with the result (maybe a failed one) in
 * *OUT, or ERR_DATABASE_UNAVAILABLE with *OUT NULL.
 */
static enum fs_err
run_retrying(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *command,
    const char *const *params, PGresult **out, struct fs_error *err)
{
	int idle;

	*out = NULL;
	if (fs_pg_ready(pg, err) != FS_OK)
		return err->code;
	idle = PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
	*out = run(pg, st, command, params);
	if (succeeded(*out) || !idle || PQstatus(pg->conn) != CONNECTION_BAD)
		return FS_OK;
	PQclear(*out);
	*out = NULL;
	fs_pg_close(pg);	/* not an outage yet: no hold-off, no log */
	if (fs_pg_ready(pg, err) != FS_OK)
		return err->code;
	*out = run(pg, st, command, params);
	return FS_OK;
}

void
fs_pg_retry_now(struct fs_pg *pg)
{
	pg->retry_at.tv_sec = 0;
	pg->retry_at.tv_nsec = 0;
}

bool
fs_pg_connected(const struct fs_pg *pg)
{
	return pg->conn && PQstatus(pg->conn) == CONNECTION_OK;
}

enum fs_err
fs_pg_map_error(struct fs_pg *pg, const PGresult *r, struct fs_error *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!state)	/* no answer at all: the connection broke */
		return went_down(pg, r ? PQresultErrorMessage(r) : "no result", err);
	/* Cancelled by statement_timeout or lock_timeout (set on connecting): rolled back, say so. */
	if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0) {
		fs_log(FS_LOG_WARN, "statement cancelled: %s", msg ? msg : "");
		return fs_error_set(err, ERR_TIMEOUT, NULL, "the database took too long to answer and"
		    " the request was cancelled; nothing of it was written");
	}
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0
	    || strncmp(state, "53", 2) == 0
	    || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		fs_log(FS_LOG_ERROR, "database unavailable: SQLSTATE %s: %s", state, msg ? msg : "");
		if (PQstatus(pg->conn) == CONNECTION_BAD)
			fs_pg_close(pg);
		return fs_error_set(err, ERR_DATABASE_UNAVAILABLE, NULL,
		    "the database is unavailable; try again shortly");
	}
	/*
	 * PostgreSQL's words name neither the field nor the rule the way a client knows them:
	 * answer in ours, and keep theirs for the log. Callers that know the table name the
	 * field (fs_db).
	 */
	if (strncmp(state, "22", 2) == 0) {
		fs_log(FS_LOG_WARN, "SQLSTATE %s: %s", state, msg ? msg : "");
		return fs_error_set(err, ERR_INVALID_FORMAT, NULL,
		    "a value has the wrong format or is out of range for its field");
	}
	/* Integrity violations are the client's: mapped here without a field, not logged. */
	if (strcmp(state, "23502") == 0)
		return fs_error_set(err, ERR_MISSING_FIELD, NULL, "a required field is missing");
	if (strcmp(state, "23503") == 0)
		return fs_error_set(err, ERR_UNKNOWN_REFERENCE, NULL, "a reference points to no row");
	if (strcmp(state, "23505") == 0)
		return fs_error_set(err, ERR_DUPLICATE_VALUE, NULL, "a unique value is already taken");
	if (strncmp(state, "23", 2) == 0)
		return fs_error_set(err, ERR_INVALID_VALUE, NULL, "a value is not allowed");
	fs_log(FS_LOG_ERROR, "SQLSTATE %s: %s", state, msg ? msg : "");
	return fs_error_set(err, ERR_INTERNAL, NULL, "internal error; the server log says more");
}

enum fs_err
fs_pg_exec(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params,
    PGresult **out, struct fs_error *err)
{
	if (run_retrying(pg, st, NULL, params, out, err) != FS_OK)
		return err->code;
	if (succeeded(*out))
		return FS_OK;
	return fs_pg_map_error(pg, *out, err);
}

enum fs_err
fs_pg_send(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params,
    struct fs_error *err)
{
	if (fs_pg_ready(pg, err) != FS_OK)
		return err->code;
	if (PQsetnonblocking(pg->conn, 1) != 0
	    || !PQsendQueryPrepared(pg->conn, st->name, st->nparams, params, NULL, NULL, 0))
		return went_down(pg, PQerrorMessage(pg->conn), err);
	return FS_OK;
}

enum fs_err
fs_pg_command(struct fs_pg *pg, const char *command, struct fs_error *err)
{
	PGresult *r;
	enum fs_err rc = FS_OK;

	if (run_retrying(pg, NULL, command, NULL, &r, err) != FS_OK)
		return err->code;
	if (!succeeded(r))
		rc = fs_pg_map_error(pg, r, err);
	/* COMMIT of a transaction that failed earlier "succeeds" as ROLLBACK. */
	else if (strcmp(command, "COMMIT") == 0 && strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = fs_error_set(err, ERR_INTERNAL, NULL, "the transaction was rolled back");
	PQclear(r);
	return rc;
}

/* Sends ST with PARAMS on PG's ready connection, to be answered row by row. */
static bool
send_single_rows(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params)
{
	int sent = st->name
	    ? PQsendQueryPrepared(pg->conn, st->name, st->nparams, params, NULL, NULL, 0)
	    : PQsendQueryParams(pg->conn, st->sql, st->nparams, NULL, params, NULL, NULL, 0);

	return sent && PQsetSingleRowMode(pg->conn);
}

/*
 * Reads every result of the statement sent: rows to EACH until it fails, the end or the
 * failure mapped. *RETRY is set when the connection turned out dead before any row while
 * no transaction was open (nothing was done: the caller may send it once more).
 */
static enum fs_err
read_rows(struct fs_pg *pg, bool idle, enum fs_err (*each)(const PGresult *, void *), void *arg,
    bool *retry, struct fs_error *err)
{
	enum fs_err rc = FS_OK;
	bool rows = false;
	PGresult *r;

	*retry = false;
	while ((r = PQgetResult(pg->conn)) != NULL) {
		ExecStatusType status = PQresultStatus(r);

		if (status == PGRES_SINGLE_TUPLE) {
			rows = true;
			if (rc == FS_OK)
				rc = each(r, arg);
		} else if (status != PGRES_TUPLES_OK && rc == FS_OK) {
			if (!rows && idle && PQstatus(pg->conn) == CONNECTION_BAD)
				*retry = true;
			else
				rc = fs_pg_map_error(pg, r, err);
		}
		PQclear(r);
		if (PQstatus(pg->conn) == CONNECTION_BAD)
			break;	/* no more results will come */
	}
	return *retry ? FS_OK : rc;
}

/*
 * The statement to send for L on PG's ready connection: L's own once prepared there (or
 * when it has no name: planned on every run), else
 * the same SQL unprepared in *UNNAMED (past FS_PG_MAX_LAZY, or when the prepare failed: the
 * send that follows reports a lost connection).
 */
static const struct fs_pg_stmt *
lazy_ready(struct fs_pg *pg, struct fs_pg_lazy *l, struct fs_pg_stmt *unnamed)
{
	PGresult *r;

	if (!l->st.name || l->prepared_on == pg->generation)
		return &l->st;
	*unnamed = (struct fs_pg_stmt){ NULL, l->st.sql, l->st.nparams };
	if (pg->nlazy >= FS_PG_MAX_LAZY)
		return unnamed;
	r = PQprepare(pg->conn, l->st.name, l->st.sql, l->st.nparams, NULL);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		l->prepared_on = pg->generation;
		pg->nlazy++;
	}
	PQclear(r);
	return l->prepared_on == pg->generation ? &l->st : unnamed;
}

enum fs_err
fs_pg_each_row(struct fs_pg *pg, struct fs_pg_lazy *l, const char *const *params,
    enum fs_err (*each)(const PGresult *row, void *arg), void *arg,
    struct fs_error *err)
{
	struct fs_pg_stmt unnamed;
	bool idle, retry;
	enum fs_err rc;

	if (fs_pg_ready(pg, err) != FS_OK)
		return err->code;
	idle = PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
	rc = send_single_rows(pg, lazy_ready(pg, l, &unnamed), params)
	    ? read_rows(pg, idle, each, arg, &retry, err) : (retry = idle, FS_OK);
	if (!retry)
		return rc;
	fs_pg_close(pg);	/* the server restarted since the last statement: once more */
	if (fs_pg_ready(pg, err) != FS_OK)
		return err->code;
	if (!send_single_rows(pg, lazy_ready(pg, l, &unnamed), params))
		return went_down(pg, PQerrorMessage(pg->conn), err);
	rc = read_rows(pg, true, each, arg, &retry, err);
	return retry ? went_down(pg, PQerrorMessage(pg->conn), err) : rc;
}

