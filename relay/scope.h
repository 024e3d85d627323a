/*
 * scope.h - whose a stream is and what they may read: a copy of the user's memberships as
 * the stream opened, checked against each event with fs_perm_allows (lib/fs_perm.h), the
 * one check REST and the changes feed use too.
 *
 * An event reaches a stream only when the stream's user may read its row: its branch and
 * owner (change_log keeps both, tombstones included) under the grants its resource's
 * workers recorded (fs_tables_resource); a table with none recorded is admin's only.
 * Without branch= a stream thus carries the user's own branches only.
 *
 * Asked for before the stream opens, both 403 forbidden: branch= naming a branch the user
 * holds no role in, and types= naming a table the user may not read at all (in branch=, or
 * in any of their branches): a client asking for what it can never see is told so rather
 * than served a silent stream. types=* asks for no table by name: it is never refused.
 */
#ifndef RELAY_SCOPE_H
#define RELAY_SCOPE_H

#include <stdbool.h>

#include "filter.h"
#include "frame.h"
#include "fs_auth.h"
#include "fs_error.h"
#include "fs_types.h"

struct scope {
	/* id, login, admin and exactly user.n memberships (shared by every scope with the same
	 * list, counted: read-only) */
	struct fs_user user;
};

/* Copies U (its memberships too) into S. FS_OK, or ERR_INTERNAL out of memory (S empty). */
enum fs_err scope_init(struct scope *s, const struct fs_user *u, struct fs_error *err);

/*
 * Whether S may open a stream filtered by F over the tables T: FS_OK, or ERR_FORBIDDEN
 * (field "branch" or "types") set in ERR, as described above.
 */
enum fs_err scope_check(const struct scope *s, const struct filter *f, const struct fs_tables *t,
    struct fs_error *err);

/* Whether S's user may read the row of event FR, whose table's grants are in T. */
bool scope_allows(const struct scope *s, const struct fs_tables *t, const struct frame *fr);

/* Frees what S owns and empties it; S may be released twice. */
void scope_release(struct scope *s);

#endif
