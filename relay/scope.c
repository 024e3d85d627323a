/* scope.c - a stream's user, and the permission check of every event it is sent. */
#include <stdlib.h>
#include <string.h>

#include "fs_perm.h"
#include "scope.h"

enum fs_err
scope_init(struct scope *s, const struct fs_user *u, struct fs_error *err)
{
	memset(s, 0, sizeof(*s));
	if (u->n && !(s->user.m = calloc(u->n, sizeof(*s->user.m))))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	memcpy(s->user.id, u->id, sizeof(s->user.id));
	memcpy(s->user.login, u->login, sizeof(s->user.login));
	s->user.admin = u->admin;
	s->user.n = u->n;
	if (u->n)
		memcpy(s->user.m, u->m, u->n * sizeof(*u->m));
	return FS_OK;
}

/* Whether U holds some role in BRANCH (admin holds every branch). */
static bool
holds(const struct fs_user *u, const char *branch)
{
	if (u->admin)
		return true;
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->m[i].branch, branch) == 0)
			return true;
	return false;
}

/* Whether U may read some row of RES (NULL: none declared) in BRANCH, or in any branch U holds. */
static bool
may_read(const struct fs_resource *res, const struct fs_user *u, const char *branch)
{
	if (u->admin)
		return true;
	if (!res)
		return false;
	if (branch)
		return fs_perm_may(res, u, FS_OP_READ, branch);
	for (size_t i = 0; i < u->n; i++)
		if (fs_perm_may(res, u, FS_OP_READ, u->m[i].branch))
			return true;
	return false;
}

enum fs_err
scope_check(const struct scope *s, const struct filter *f, const struct fs_tables *t,
    struct fs_error *err)
{
	const struct fs_user *u = &s->user;

	if (f->branch && !holds(u, f->branch))
		return fs_error_set(err, ERR_FORBIDDEN, "branch", "you hold no role in branch %.80s",
		    f->branch);
	for (size_t i = 0; i < f->types.n; i++) {
		const char *table = f->types.items[i].table;

		if (!may_read(fs_tables_resource(t, table, strlen(table)), u, f->branch))
			return fs_error_set(err, ERR_FORBIDDEN, "types", "your role may not read %s%s%.80s",
			    table, f->branch ? " in branch " : "", f->branch ? f->branch : "");
	}
	return FS_OK;
}

bool
scope_allows(const struct scope *s, const struct fs_tables *t, const struct frame *fr)
{
	const char *type = frame_type(fr), *colon = memchr(type, ':', fr->type_len);
	const struct fs_resource *res;

	if (s->user.admin)
		return true;
	if (!colon || !(res = fs_tables_resource(t, type, (size_t)(colon - type))))
		return false;
	const struct fs_perm_row row = { .branch = frame_branch(fr), .owner = frame_owner(fr) };

	return fs_perm_allows(res, &s->user, FS_OP_READ, &row);
}

void
scope_release(struct scope *s)
{
	free(s->user.m);
	memset(s, 0, sizeof(*s));
}
