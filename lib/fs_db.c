/* fs_db.c - connection, session settings, prepared statements, SQLSTATE to HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_db.h"
#include "fs_model.h"

void
fs_db_init(struct fs_db *db, const struct fs_config *cfg, const char *name,
    const struct fs_resource *res, const struct fs_sql *sql)
{
	memset(db, 0, sizeof(*db));
	db->cfg = cfg;
	db->name = name;
	db->res = res;
	db->sql = sql;
}

void
fs_db_close(struct fs_db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
}

/* Marks the database unreachable in ERR, logging WHY. */
static enum fs_code
unavailable(struct fs_error *err, const char *why)
{
	fprintf(stderr, "fieldsync: database unavailable: %s\n", why);
	return fs_error_set(err, ERR_DATABASE_UNAVAILABLE, NULL,
	    "the database is unavailable; try again shortly");
}

/* Applies the session settings: time zone, statement timeout, planning. */
static int
set_session(struct fs_db *db)
{
	char timeout[32];
	const char *params[2] = { db->cfg->timezone, timeout };
	PGresult *r;
	int ok;

	snprintf(timeout, sizeof(timeout), "%d", db->cfg->statement_timeout);
	/* Custom plans let the optional "$n IS NULL OR …" filters use their indexes. */
	r = PQexecParams(db->conn, "SELECT set_config('TimeZone', $1, false),"
	    " set_config('statement_timeout', $2, false),"
	    " set_config('plan_cache_mode', 'force_custom_plan', false)",
	    2, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "fieldsync: session settings: %s", PQerrorMessage(db->conn));
	PQclear(r);
	return ok;
}

/* Prepares every statement of the resource on the new connection. */
static int
prepare_all(struct fs_db *db)
{
	for (int s = 0; s < STMT__MAX; s++) {
		PGresult *r;
		int ok;

		if (!db->sql->text[s])
			continue;
		r = PQprepare(db->conn, fs_sql_name((enum fs_stmt)s), db->sql->text[s],
		    db->sql->nparams[s], NULL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			fprintf(stderr, "fieldsync: prepare %s: %s", fs_sql_name((enum fs_stmt)s),
			    PQerrorMessage(db->conn));
		PQclear(r);
		if (!ok)
			return 0;
	}
	return 1;
}

enum fs_code
fs_db_ready(struct fs_db *db, struct fs_error *err)
{
	char timeout[16], appname[80];
	/* Our defaults come first so that the URL's own settings win over them. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { timeout, appname, db->cfg->database_url, NULL };

	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return FS_OK;
	fs_db_close(db);
	snprintf(timeout, sizeof(timeout), "%d", db->cfg->connect_timeout);
	snprintf(appname, sizeof(appname), "fieldsync-%s", db->name);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (!db->conn)
		return unavailable(err, "out of memory");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		enum fs_code rc = unavailable(err, PQerrorMessage(db->conn));
		fs_db_close(db);
		return rc;
	}
	if (!set_session(db) || !prepare_all(db)) {
		fs_db_close(db);
		return unavailable(err, "could not prepare the session");
	}
	return FS_OK;
}

/* Whether R is a success. */
static int
succeeded(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Runs COMMAND (plain SQL) when given, else the prepared statement S with PARAMS. */
static PGresult *
run(struct fs_db *db, enum fs_stmt s, const char *command, const char *const *params)
{
	if (command)
		return PQexec(db->conn, command);
	return PQexecPrepared(db->conn, fs_sql_name(s), db->sql->nparams[s], params, NULL, NULL, 0);
}

/*
 * Runs like run() on a ready connection; when the connection turns out dead and no
 * transaction was open (the server restarted since our last request), nothing was done,
 * so it reconnects and runs once more. NULL with ERR set when it cannot reconnect.
 */
static PGresult *
run_retrying(struct fs_db *db, enum fs_stmt s, const char *command, const char *const *params,
    struct fs_error *err)
{
	int idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *r = run(db, s, command, params);

	if (succeeded(r) || !idle || PQstatus(db->conn) != CONNECTION_BAD)
		return r;
	PQclear(r);
	if (fs_db_ready(db, err) != FS_OK)
		return NULL;
	return run(db, s, command, params);
}

/* Maps the failure R to ERR, drops a dead connection, frees R. */
static void
fail(struct fs_db *db, PGresult *r, int deleting, struct fs_error *err)
{
	fs_db_map_error(r, db->res, deleting, err);
	if (PQstatus(db->conn) == CONNECTION_BAD)
		fs_db_close(db);
	PQclear(r);
}

PGresult *
fs_db_exec(struct fs_db *db, enum fs_stmt s, const char *const *params, int deleting,
    struct fs_error *err)
{
	PGresult *r;

	if (fs_db_ready(db, err) != FS_OK || !(r = run_retrying(db, s, NULL, params, err)))
		return NULL;
	if (succeeded(r))
		return r;
	fail(db, r, deleting, err);
	return NULL;
}

enum fs_code
fs_db_command(struct fs_db *db, const char *command, struct fs_error *err)
{
	PGresult *r;

	if (fs_db_ready(db, err) != FS_OK || !(r = run_retrying(db, STMT__MAX, command, NULL, err)))
		return err->code;
	if (!succeeded(r)) {
		fail(db, r, 0, err);
		return err->code;
	}
	/* COMMIT of a transaction that failed earlier "succeeds" as ROLLBACK. */
	if (strcmp(command, "COMMIT") == 0 && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		PQclear(r);
		return fs_error_set(err, ERR_INTERNAL, NULL, "the transaction was rolled back");
	}
	PQclear(r);
	return FS_OK;
}

/* The field a constraint named "<table>_<field>_<suffix>" is about, into FIELD. */
static void
constraint_field(const char *constraint, const char *table, const char *suffix, char *field,
    size_t size)
{
	size_t tl = strlen(table), cl, sl = strlen(suffix);

	field[0] = '\0';
	if (!constraint || strncmp(constraint, table, tl) != 0 || constraint[tl] != '_')
		return;
	constraint += tl + 1;
	cl = strlen(constraint);
	if (cl > sl && strcmp(constraint + cl - sl, suffix) == 0)
		snprintf(field, size, "%.*s", (int)(cl - sl), constraint);
}

/* Integrity violations (class 23), which name their constraint or column. */
static enum fs_code
map_integrity(const PGresult *r, const char *state, const struct fs_resource *res, int deleting,
    struct fs_error *err)
{
	const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
	const char *column = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
	const char *own = res ? res->table : (table ? table : "");
	const struct fs_column *c;
	char field[64];

	if (strcmp(state, "23502") == 0)
		return fs_error_set(err, ERR_MISSING_FIELD, column, "%s is required", column ? column : "a field");
	if (strcmp(state, "23503") == 0 && deleting)
		return fs_error_set(err, ERR_REFERENCED, NULL, "this row is still referenced by %s",
		    table ? table : "other rows");
	if (strcmp(state, "23503") == 0) {
		constraint_field(constraint, own, "_fkey", field, sizeof(field));
		return fs_error_set(err, ERR_UNKNOWN_REFERENCE, field,
		    "%s does not refer to an existing row", field[0] ? field : "a reference");
	}
	if (strcmp(state, "23505") == 0) {
		constraint_field(constraint, own, "_key", field, sizeof(field));
		return fs_error_set(err, ERR_DUPLICATE_VALUE, field, "%s is already taken",
		    field[0] ? field : "a unique value");
	}
	constraint_field(constraint, own, "_check", field, sizeof(field));
	c = field[0] && res ? fs_model_column(res, field) : NULL;
	if (c && c->rule)
		return fs_error_set(err, ERR_INVALID_VALUE, field, "%s %s", field, c->rule);
	/* The constraint's name is ours, not words for people: name the field only. */
	if (constraint)
		fprintf(stderr, "fieldsync: %s: check %s failed without words in its declaration\n",
		    own, constraint);
	return fs_error_set(err, ERR_INVALID_VALUE, field, "%s is not an allowed value",
	    field[0] ? field : "a field");
}

enum fs_code
fs_db_map_error(const PGresult *r, const struct fs_resource *res, int deleting,
    struct fs_error *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *own = res ? res->table : "change_log";

	if (!state)	/* no answer at all: the connection broke */
		return unavailable(err, r ? PQresultErrorMessage(r) : "no result");
	if (strncmp(state, "23", 2) == 0)
		return map_integrity(r, state, res, deleting, err);
	if (strncmp(state, "22", 2) == 0) {
		/* The C checks should have caught it; PostgreSQL's words do not name the field. */
		fprintf(stderr, "fieldsync: %s: SQLSTATE %s: %s\n", own, state, msg ? msg : "");
		return fs_error_set(err, ERR_INVALID_FORMAT, NULL,
		    "a value has the wrong format or is out of range for its field");
	}
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0
	    || strncmp(state, "53", 2) == 0 || strcmp(state, "57014") == 0
	    || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return unavailable(err, msg ? msg : state);
	fprintf(stderr, "fieldsync: %s: SQLSTATE %s: %s\n", own, state, msg ? msg : "");
	return fs_error_set(err, ERR_INTERNAL, NULL, "internal error; the server log says more");
}
