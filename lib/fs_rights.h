/*
 * fs_rights.h - what one write may do, row by row, with the fs_perm check: the fields that are
 * the session's (a row's owner, unless named; its approver, always),
 * creating a row, and changing or deleting one that is locked first, so that the row checked is
 * the row changed.
 *
 * A row the user may not read is not found (404), as if it did not exist; a row the user may
 * read but not change as asked is forbidden (403).
 */
#ifndef FS_RIGHTS_H
#define FS_RIGHTS_H

#include <cjson/cJSON.h>

#include "fs_auth.h"
#include "fs_db.h"
#include "fs_error.h"
#include "fs_resource.h"

/* A row locked for a PUT or DELETE (STMT_LOCK); its strings point into R. */
struct fs_locked {
	PGresult *r;
	const char *json, *branch, *owner, *status;	/* owner, status: NULL when none */
	const char *version;
};

/* Whether U may read a row of RES in BRANCH owned by OWNER (NULL: none). */
bool fs_rights_can_read(const struct fs_resource *res, const struct fs_user *u, const char *branch,
    const char *owner);

/*
 * Before a new ROW (an object) is checked against RES: an absent or null owner is U's login,
 * so a user files in their own name unless they name someone (which fs_rights_create judges).
 * FS_OK or ERR_INTERNAL (out of memory).
 */
enum fs_err fs_rights_owner(const struct fs_resource *res, const struct fs_user *u, cJSON *row,
    struct fs_error *err);

/*
 * After ROW is checked (which drops what a client sent for the read-only approver column):
 * the approver is U's login when ROW moves to the approved status (CUR: the locked row of a
 * PUT, or NULL for a POST). FS_OK or ERR_INTERNAL.
 */
enum fs_err fs_rights_approver(const struct fs_resource *res, const struct fs_user *u, cJSON *row,
    const struct fs_locked *cur, struct fs_error *err);

/* After the checks, POST: FS_OK when U may create ROW, else ERR_FORBIDDEN naming why. */
enum fs_err fs_rights_create(const struct fs_resource *res, const struct fs_user *u,
    const cJSON *row, struct fs_error *err);

/* Locks row ID of RES into CUR: ERR_NOT_FOUND unless it exists and U may read it. */
enum fs_err fs_rights_lock(struct fs_db *db, const struct fs_resource *res,
    const struct fs_user *u, const char *id, struct fs_locked *cur, struct fs_error *err);

/* As fs_rights_lock, from R, the answer of STMT_LOCK run by the caller (CUR takes R over). */
enum fs_err fs_rights_take(const struct fs_resource *res, const struct fs_user *u, const char *id,
    PGresult *r, struct fs_locked *cur, struct fs_error *err);

/*
 * FS_OK when U may do OP (FS_OP_UPDATE with the fields FIELDS, or FS_OP_DELETE) on CUR; an
 * update must be allowed on the row as it is and as it would be (a move between branches
 * needs both). Else ERR_FORBIDDEN.
 */
enum fs_err fs_rights_change(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const struct fs_locked *cur, const cJSON *fields, struct fs_error *err);

/* Releases what CUR holds (the row stays locked until the transaction ends). */
void fs_rights_unlock(struct fs_locked *cur);

#endif
