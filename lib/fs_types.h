/*
 * fs_types.h - the types= filter of the changes feed and the event stream, one grammar:
 *
 *   types=*                            every event
 *   types=clients:*                    every action on one table
 *   types=clients:create,visits:*      comma-separated, any mix
 *
 * A table must be one the change log tracks (the database's change_log_tables, see
 * fs_changelog_tables); an action is create, update, delete or *. Anything else is a 400
 * (ERR_INVALID_PARAMETER, field "types").
 */
#ifndef FS_TYPES_H
#define FS_TYPES_H

#include <stddef.h>

#include "fs_declared.h"
#include "fs_error.h"

#define FS_TYPES_MAX_TEXT 1000	/* bytes of a types= value */
#define FS_TYPES_MAX_NAME 63	/* bytes of a table name (PostgreSQL's identifier limit) */

/*
 * The tables whose changes are logged, sorted by name (as fs_changelog loads them), each
 * with the permissions its resource's workers recorded (change_log_tables.declaration).
 */
struct fs_tables {
	char **names;		/* owned by whoever filled it */
	size_t n;
	struct fs_declared *decl; /* owned: one per name, decl[i].res.table NULL when no (readable)
				   * declaration is recorded; the whole array may be NULL */
};

/* Whether the LEN bytes at NAME are one of the tables of T. */
int fs_tables_has(const struct fs_tables *t, const char *name, size_t len);

/*
 * The permissions of the table named by the LEN bytes at NAME (for fs_perm), or NULL when
 * it is not one of T's or has no declaration recorded: then only admin may see its changes.
 * Valid as long as T is.
 */
const struct fs_resource *fs_tables_resource(const struct fs_tables *t, const char *name,
    size_t len);

/* One entry of a checked list: a table and an action, "" for every action. */
struct fs_type {
	char table[FS_TYPES_MAX_NAME + 1];
	char action[8];
};

/* A checked types= list. */
struct fs_types {
	int all;		/* "*" was among the entries: every type passes */
	size_t n;
	struct fs_type *items;	/* owned */
};

/*
 * Checks TEXT against the grammar and the tables KNOWN (borrowed) into T. FS_OK, or
 * ERR_INVALID_PARAMETER (ERR_INTERNAL out of memory) set in ERR with T left empty.
 * Release T with fs_types_release() either way.
 */
enum fs_err fs_types_parse(struct fs_types *t, const char *text, const struct fs_tables *known,
    struct fs_error *err);

/* Whether event type TYPE (LEN bytes, "<table>:<action>") passes T; a NULL T passes everything. */
int fs_types_match(const struct fs_types *t, const char *type, size_t len);

/*
 * The PostgreSQL text[] literal of LIKE patterns for T, as the feed's SQL takes it
 * ("{clients:%,appointments:create}"), into *OUT (the caller frees it); *OUT is NULL when
 * every type passes (the SQL's "no filter"). FS_OK, or ERR_INTERNAL out of memory.
 */
enum fs_err fs_types_patterns(const struct fs_types *t, char **out, struct fs_error *err);

/* Frees what T owns and empties it; T may be released twice. */
void fs_types_release(struct fs_types *t);

#endif
