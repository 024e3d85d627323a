/* scope.c - a stream's user, and the permission check of every event it is sent. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_perm.h"
#include "scope.h"

/*
 * Membership lists are shared: every stream whose user holds the same roles in the same
 * branches (the streams of one user, the reps of one branch) points at one copy, counted,
 * rather than holding some 200 bytes a branch of its own for as long as it is open.
 */
#define SHARED_BUCKETS 4096

struct shared {
	struct shared *next;		/* in its bucket */
	size_t refs, n;
	unsigned bucket;
	struct fs_membership m[];
};

static struct shared *buckets[SHARED_BUCKETS];

/* The bucket of the N memberships M: FNV-1a over their branches and roles. */
static unsigned
bucket_of(const struct fs_membership *m, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		for (const char *p = m[i].branch; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ (unsigned)m[i].role ^ 0x100u) * 16777619u;
	}
	return h % SHARED_BUCKETS;
}

/* Whether the N memberships A and B are the same, in the same order. */
static bool
same(const struct fs_membership *a, const struct fs_membership *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].role != b[i].role || strcmp(a[i].branch, b[i].branch) != 0)
			return false;
	return true;
}

/* The shared copy of the N (> 0) memberships M, counted once more; NULL out of memory. */
static struct fs_membership *
share(const struct fs_membership *m, size_t n)
{
	unsigned b = bucket_of(m, n);
	struct shared *sh;

	for (sh = buckets[b]; sh; sh = sh->next)
		if (sh->n == n && same(sh->m, m, n)) {
			sh->refs++;
			return sh->m;
		}
	if (!(sh = calloc(1, sizeof(*sh) + n * sizeof(*m))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		snprintf(sh->m[i].branch, sizeof(sh->m[i].branch), "%s", m[i].branch);
		sh->m[i].role = m[i].role;
	}
	sh->refs = 1;
	sh->n = n;
	sh->bucket = b;
	sh->next = buckets[b];
	buckets[b] = sh;
	return sh->m;
}

/* Counts M (from share) once less, freeing it with its last user. */
static void
unshare(struct fs_membership *m)
{
	struct shared *sh = (struct shared *)(void *)((char *)m - offsetof(struct shared, m)), **p;

	if (--sh->refs > 0)
		return;
	for (p = &buckets[sh->bucket]; *p != sh; p = &(*p)->next)
		;
	*p = sh->next;
	free(sh);
}

enum fs_err
scope_init(struct scope *s, const struct fs_user *u, struct fs_error *err)
{
	memset(s, 0, sizeof(*s));
	if (u->n && !(s->user.m = share(u->m, u->n)))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	memcpy(s->user.id, u->id, sizeof(s->user.id));
	memcpy(s->user.login, u->login, sizeof(s->user.login));
	s->user.admin = u->admin;
	s->user.n = u->n;
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
	if (s->user.m)
		unshare(s->user.m);
	memset(s, 0, sizeof(*s));
}
