/*
 * fs_db.h - a worker's database: the shared connection layer (fs_pg.h) with the
 * binary's generated statements (fs_sql.h) prepared, and errors mapped to the fields of
 * its resource.
 *
 * The connection is opened on first use and again after PostgreSQL went away; a lost
 * database is answered 503, never by exiting the worker.
 */
#ifndef FS_DB_H
#define FS_DB_H

#include <libpq-fe.h>

#include "fs_config.h"
#include "fs_error.h"
#include "fs_pg.h"
#include "fs_resource.h"
#include "fs_sql.h"

struct fs_db {
	struct fs_pg pg;
	struct fs_pg_stmt stmts[STMT__MAX];	/* the generated SQL under its names */
	const struct fs_resource *res;		/* for naming fields in errors; NULL for the feed */
	char *declaration;			/* owned: res's --describe, recorded on each connection */
	struct fs_pg_lazy *lists;		/* owned: the list's forms by their parts, each made
						   when first asked for (fs_db_list) */
	unsigned nlists;
};

/*
 * Sets up DB for the binary NAME over CFG, RES (may be NULL) and SQL, all borrowed and
 * outliving DB; connects lazily. FS_OK, or ERR_INTERNAL.
 */
enum fs_err fs_db_init(struct fs_db *db, const struct fs_config *cfg, const char *name,
    const struct fs_resource *res, const struct fs_sql *sql);

/* Closes the connection, if any. */
void fs_db_close(struct fs_db *db);

/*
 * Runs prepared statement S with PARAMS (text values, NULL for SQL NULL). Returns the
 * result (the caller PQclear()s it) on success; otherwise NULL with ERR set, naming the
 * field of a broken rule. DELETING tells the mapping that a foreign-key violation means
 * "still referenced".
 */
PGresult *fs_db_exec(struct fs_db *db, enum fs_stmt s, const char *const *params, int deleting,
    struct fs_error *err);

/*
 * The list statement of RES with PARTS (fs_sql_list), prepared on a connection when it first
 * runs there (fs_pg_each_row). NULL when out of memory.
 */
struct fs_pg_lazy *fs_db_list(struct fs_db *db, unsigned parts);

/* Runs BEGIN, COMMIT or ROLLBACK. FS_OK or the code set in ERR. */
enum fs_err fs_db_command(struct fs_db *db, const char *command, struct fs_error *err);

/*
 * Names the field of the integrity violation (SQLSTATE class 23) in R, a failed result of
 * a statement on RES, in ERR: the constraint naming contract <table>_<field>_check|_fkey|_key.
 * Returns the code.
 */
enum fs_err fs_db_map_integrity(const PGresult *r, const struct fs_resource *res, int deleting,
    struct fs_error *err);

#endif
