/*
 * fs_db.h - the worker's one PostgreSQL connection: connect, prepare, run, map errors.
 *
 * The connection is opened on first use and again after PostgreSQL went away; each
 * new connection gets the session settings and every statement of the resource
 * prepared. A lost database is answered 503, never by exiting the worker.
 */
#ifndef FS_DB_H
#define FS_DB_H

#include <libpq-fe.h>

#include "fs_config.h"
#include "fs_error.h"
#include "fs_resource.h"
#include "fs_sql.h"

struct fs_db {
	PGconn *conn;			/* NULL until connected */
	const struct fs_config *cfg;
	const char *name;		/* what the connection serves, for application_name */
	const struct fs_resource *res;	/* for naming fields in errors; NULL for the feed */
	const struct fs_sql *sql;
};

/*
 * Sets up DB for NAME over CFG, RES (may be NULL) and SQL, all borrowed and outliving DB;
 * connects lazily.
 */
void fs_db_init(struct fs_db *db, const struct fs_config *cfg, const char *name,
    const struct fs_resource *res, const struct fs_sql *sql);

/* Closes the connection, if any. */
void fs_db_close(struct fs_db *db);

/* Connects and prepares unless a good connection exists. FS_OK or ERR_DATABASE_UNAVAILABLE. */
enum fs_code fs_db_ready(struct fs_db *db, struct fs_error *err);

/*
 * Runs prepared statement S with PARAMS (text values, NULL for SQL NULL). Returns the
 * result (the caller PQclear()s it) when it is PGRES_TUPLES_OK or PGRES_COMMAND_OK;
 * otherwise NULL with ERR set from the SQLSTATE. Outside a transaction a connection
 * found dead is re-opened and the statement tried once more. DELETING tells the error
 * mapping that a foreign-key violation means "still referenced".
 */
PGresult *fs_db_exec(struct fs_db *db, enum fs_stmt s, const char *const *params, int deleting,
    struct fs_error *err);

/* Runs BEGIN, COMMIT or ROLLBACK. FS_OK or the code set in ERR. */
enum fs_code fs_db_command(struct fs_db *db, const char *command, struct fs_error *err);

/* Maps the failed result R of a statement on RES (may be NULL) to ERR; returns the code. */
enum fs_code fs_db_map_error(const PGresult *r, const struct fs_resource *res, int deleting,
    struct fs_error *err);

#endif
