/* fs_perm.c - grants against memberships, for one row or as branch sets for SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_perm.h"

/* The grant RES gives role ROLE, or NULL when it gives none. */
static const struct fs_grant *
grant_of(const struct fs_resource *res, enum fs_role role)
{
	for (const struct fs_grant *g = res->grants; g && g->role; g++)
		if (strcmp(g->role, fs_role_name(role)) == 0)
			return g;
	return NULL;
}

/* Whether VALUE is one of the NULL-terminated VALUES; a NULL list allows any. */
static bool
allowed(const char *const *values, const char *value)
{
	if (!values || !value)
		return true;
	for (const char *const *v = values; *v; v++)
		if (strcmp(*v, value) == 0)
			return true;
	return false;
}

/* Whether grant G lets U do OP on ROW (whose branch U holds with G's role). */
static bool
grant_allows(const struct fs_resource *res, const struct fs_grant *g, const struct fs_user *u,
    unsigned op, const struct fs_perm_row *row)
{
	if (!(g->ops & op))
		return false;
	if ((g->own & op) && res->owner && (!row->owner || strcmp(row->owner, u->login) != 0))
		return false;
	if ((op & (FS_OP_UPDATE | FS_OP_DELETE)) && !allowed(g->while_in, row->status))
		return false;
	return !(op & (FS_OP_CREATE | FS_OP_UPDATE)) || allowed(g->sets, row->new_status);
}

bool
fs_perm_allows(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const struct fs_perm_row *row)
{
	if (u->admin)
		return true;
	for (size_t i = 0; i < u->n; i++) {
		const struct fs_grant *g = grant_of(res, u->m[i].role);

		if (g && strcmp(u->m[i].branch, row->branch) == 0 && grant_allows(res, g, u, op, row))
			return true;
	}
	return false;
}

bool
fs_perm_may(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const char *branch)
{
	if (u->admin)
		return true;
	for (size_t i = 0; i < u->n; i++) {
		const struct fs_grant *g = grant_of(res, u->m[i].role);

		if (g && (g->ops & op) && strcmp(u->m[i].branch, branch) == 0)
			return true;
	}
	return false;
}

/* Appends BRANCH to the array literal being written to F, quoted for PostgreSQL. */
static void
put_element(FILE *f, const char *branch, bool first)
{
	fputs(first ? "\"" : ",\"", f);
	for (const char *p = branch; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/* Whether U may do OP on every row (not only its own) in BRANCH through some role. */
static bool
on_every_row(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const char *branch)
{
	for (size_t i = 0; i < u->n; i++) {
		const struct fs_grant *g = grant_of(res, u->m[i].role);

		if (g && (g->ops & op) && !((g->own & op) && res->owner)
		    && strcmp(u->m[i].branch, branch) == 0)
			return true;
	}
	return false;
}

/* Whether membership I is the first of U naming its branch (so each branch is listed once). */
static bool
first_of_branch(const struct fs_user *u, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(u->m[k].branch, u->m[i].branch) == 0)
			return false;
	return true;
}

enum fs_err
fs_perm_branches(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    char **all, char **own, bool *everywhere, struct fs_error *err)
{
	size_t nall = 0, nown = 0, lall = 0, lown = 0;
	FILE *fa, *fo;

	*all = *own = NULL;
	*everywhere = u->admin;
	if (u->admin)
		return FS_OK;
	fa = open_memstream(all, &lall);
	fo = fa ? open_memstream(own, &lown) : NULL;
	if (fa && fo) {
		fputc('{', fa);
		fputc('{', fo);
		for (size_t i = 0; i < u->n; i++) {
			const char *b = u->m[i].branch;

			if (!first_of_branch(u, i) || !fs_perm_may(res, u, op, b))
				continue;
			if (on_every_row(res, u, op, b))
				put_element(fa, b, nall++ == 0);
			else
				put_element(fo, b, nown++ == 0);
		}
		fputc('}', fa);
		fputc('}', fo);
	}
	/* Both streams are closed whatever happened, and either failing fails the whole. */
	bool ok = fa && fo;

	if (fa && fclose(fa) != 0)
		ok = false;
	if (fo && fclose(fo) != 0)
		ok = false;
	if (!ok) {
		free(*all);
		free(*own);
		*all = *own = NULL;
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	return FS_OK;
}
