/*
 * fs_sql.h - every statement of a resource, generated once from its declaration.
 *
 * Identifiers come only from the static declaration; every value is a $n parameter.
 * The text is prepared once per database connection (fs_db) under the names below.
 */
#ifndef FS_SQL_H
#define FS_SQL_H

#include "fs_error.h"
#include "fs_resource.h"

enum fs_stmt {
	STMT_GET,	/* $1 id, scope from $2 -> (row json, version) */
	STMT_LOCK,	/* $1 id -> (row json, branch, owner, status, version), locked FOR UPDATE */
	STMT_INSERT,	/* $1 row jsonb -> (outcome c|e|d|x, row json or tombstone seq, branch, owner) */
	STMT_INSERT_MANY, /* $1 jsonb array of rows -> per row, in order: (outcome c|e|d|x or NULL
			   when a concurrent write hid it, row json or tombstone seq, branch, owner) */
	STMT_UPDATE,	/* $1 fields jsonb, $2 id, $3 version or NULL -> (outcome u|v, row json) */
	STMT_DELETE,	/* $1 id -> (id) */
	STMT_IDEM_EXPIRE, /* $1 resource, $2 key, $3 ttl seconds: forget an expired key */
	STMT_IDEM_CLAIM,  /* $1 resource, $2 key, $3 request -> a row when the key is new */
	STMT_IDEM_LOOKUP, /* $1 resource, $2 key, $3 request -> (same request?, status, body) */
	STMT_IDEM_SAVE,	  /* $1 resource, $2 key, $3 status, $4 body */
	STMT_IDEM_PRUNE,  /* $1 ttl seconds: forget every expired key */
	STMT_XID,	/* -> (this transaction's id), taken just before COMMIT (fs_changelog_of_xid) */
	STMT_ACTOR,	/* $1 user id: the actor of this transaction (created_by, change_log.actor) */
	STMT_DEADLINE,	/* $1 ms: statement_timeout and lock_timeout for the rest of this transaction */
	STMT__MAX
};

/* The statements of one resource; text[i] is owned. */
struct fs_sql {
	char *text[STMT__MAX];
	int nparams[STMT__MAX];
};

/*
 * A scope is what a user may read (fs_perm_branches): one text[] of the branches where every
 * row is readable (NULL: every branch), and when RES has an owner column two more, the
 * branches where only one's own rows are and the user's login. This many parameters.
 */
int fs_sql_scope_params(const struct fs_resource *res);

/* The prepared-statement name of S. */
const char *fs_sql_name(enum fs_stmt s);

/* Generates the statements of RES into SQL. FS_OK, or ERR_INTERNAL when out of memory. */
enum fs_err fs_sql_build(const struct fs_resource *res, struct fs_sql *sql);


/*
 * The parts of a page's statement besides its limit (fs_sql_list): the keyset cursor, a
 * scope narrower than every branch, and each filter the request gives.
 */
#define FS_LIST_AFTER 0x1u
#define FS_LIST_SCOPED 0x2u
#define FS_LIST_FILTER(i) (0x4u << (i))

/*
 * The statement of a page of RES with only PARTS in it, so that one prepared statement per
 * combination the requests use runs on a cached plan that fits it (a filter written as
 * "$n IS NULL OR" would hide its index from a cached plan). $1 is the limit; then, in this
 * order and only when in PARTS, the after key and id, the scope's parameters, each filter's
 * value -> rows (every column, then the row's cursor) in order, one more than the limit.
 * Owned text, NULL when out of memory; *NPARAMS is set to its number of parameters.
 */
char *fs_sql_list(const struct fs_resource *res, unsigned parts, int *nparams);

/* Frees the texts. */
void fs_sql_release(struct fs_sql *sql);

#endif
