/*
 * fs_perm.h - the one check of who may do what: a resource's grants (fs_resource.h)
 * against a user's memberships (fs_auth.h).
 *
 * REST, the changes feed and the relay all ask here. A single row is checked with
 * fs_perm_allows(); a list or a feed page is scoped in SQL by the branch sets that
 * fs_perm_branches() computes from the same grants, so the two can never disagree.
 * admin may do everything everywhere; a role a resource does not grant may do nothing.
 */
#ifndef FS_PERM_H
#define FS_PERM_H

#include <stdbool.h>

#include "fs_auth.h"
#include "fs_error.h"
#include "fs_resource.h"

/* What a row is, as far as permissions go: its branch, its owner column, its status. */
struct fs_perm_row {
	const char *branch;
	const char *owner;	/* the value of res->owner, or NULL */
	const char *status;	/* the current status (update, delete), or NULL */
	const char *new_status;	/* the status it would get (create, update), or NULL for unchanged */
};

/*
 * Whether U may do OP (one FS_OP_* bit) on ROW of RES: some role U holds in the row's
 * branch grants OP, limited to U's own rows if so declared, in the statuses declared.
 */
bool fs_perm_allows(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const struct fs_perm_row *row);

/* Whether U may do OP on some row of RES in BRANCH (any owner, any status): 403 or not. */
bool fs_perm_may(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const char *branch);

/*
 * The branches in which U may do OP on every row of RES (*ALL) and on its own rows only
 * (*OWN), as PostgreSQL text[] literals the caller frees ("{}" for none); *EVERYWHERE is
 * set for admin, with both NULL. FS_OK or ERR_INTERNAL (out of memory).
 */
enum fs_err fs_perm_branches(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    char **all, char **own, bool *everywhere, struct fs_error *err);

#endif
