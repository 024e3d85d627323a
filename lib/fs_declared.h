/*
 * fs_declared.h - a resource's permissions rebuilt from its --describe JSON.
 *
 * The changes feed and the relay do not link the resources' declarations; they read them
 * from change_log_tables.declaration, which every resource's workers record on connecting
 * (fs_db.c). Rebuilt into a struct fs_resource, the same fs_perm checks serve them as serve
 * the resource's own binary, so REST, the feed and the stream cannot disagree.
 */
#ifndef FS_DECLARED_H
#define FS_DECLARED_H

#include "fs_error.h"
#include "fs_resource.h"

/* A declaration read back: RES has the table, path, owner, approver and grants (no columns). */
struct fs_declared {
	struct fs_resource res;
	struct fs_grant *grants;	/* owned, {NULL} terminated */
	char **strings;			/* owned: every string RES and the grants point to */
	size_t nstrings;
};

/*
 * Rebuilds D from JSON, a resource's --describe. FS_OK, or ERR_INVALID_VALUE for a
 * description that is not one (ERR_INTERNAL out of memory); fs_declared_release(D) either way.
 */
enum fs_err fs_declared_parse(struct fs_declared *d, const char *json, struct fs_error *err);

/* Frees what D owns; D may be released twice. */
void fs_declared_release(struct fs_declared *d);

#endif
