/*
 * filter.h - what one stream wants: the types= list (lib/fs_types.h, the grammar the
 * changes feed takes too) and the branch= of its rows.
 */
#ifndef RELAY_FILTER_H
#define RELAY_FILTER_H

#include "fs_error.h"
#include "fs_types.h"
#include "frame.h"

#define FILTER_MAX_BRANCH 200	/* bytes of a branch= value, as the API's branch column */

struct filter {
	struct fs_types types;	/* types.all when types= was not given */
	char *branch;		/* NULL: every branch; owned */
};

/*
 * Checks TYPES (NULL: every type) against the tables KNOWN (borrowed) and BRANCH (NULL:
 * every branch; else 1 to FILTER_MAX_BRANCH bytes) into F. FS_OK, or ERR_INVALID_PARAMETER
 * (ERR_INTERNAL out of memory) set in ERR. Release F with filter_release() either way.
 */
enum fs_err filter_init(struct filter *f, const char *types, const char *branch,
    const struct fs_tables *known, struct fs_error *err);

/* Whether frame FR passes F: its type is in types= and its row is of branch=. */
int filter_wants(const struct filter *f, const struct frame *fr);

/* Frees what F owns and empties it (every type, every branch); F may be released twice. */
void filter_release(struct filter *f);

#endif
