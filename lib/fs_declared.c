/* fs_declared.c - permissions from a --describe, as the compiled declaration has them. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fs_declared.h"

static const struct fs_column no_columns[] = { { .name = NULL } };
static const struct fs_filter no_filters[] = { { NULL, FILTER_EQ, { NULL } } };

/* A copy of S kept in D (freed with it), or NULL when S is NULL or out of memory. */
static char *
keep(struct fs_declared *d, const char *s)
{
	char **more, *copy;

	if (!s || !(copy = strdup(s)))
		return NULL;
	if (!(more = realloc(d->strings, (d->nstrings + 1) * sizeof(*more)))) {
		free(copy);
		return NULL;
	}
	d->strings = more;
	return d->strings[d->nstrings++] = copy;
}

/* The string member NAME of O kept in D, or NULL when absent. */
static const char *
member(struct fs_declared *d, const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? keep(d, v->valuestring) : NULL;
}

/* The FS_OP_* bits named in the array A ("read", "create", …); unknown words grant nothing. */
static unsigned
ops_of(const cJSON *a)
{
	static const struct { const char *word; unsigned bit; } words[] = {
		{ "read", FS_OP_READ }, { "create", FS_OP_CREATE }, { "update", FS_OP_UPDATE },
		{ "delete", FS_OP_DELETE },
	};
	const cJSON *v;
	unsigned ops = 0;

	cJSON_ArrayForEach(v, a)
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (cJSON_IsString(v) && strcmp(v->valuestring, words[i].word) == 0)
				ops |= words[i].bit;
	return ops;
}

/* The array A of strings as a NULL-terminated list kept in D; NULL when A is absent. */
static const char *const *
values_of(struct fs_declared *d, const cJSON *a, enum fs_err *rc)
{
	size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
	const char **list;
	const cJSON *v;

	if (!cJSON_IsArray(a))
		return NULL;
	/* The list itself is kept as one of D's strings, so it is freed with them. */
	if (!(list = (const char **)keep(d, "")) || !(list = realloc(list, (n + 1) * sizeof(*list)))) {
		*rc = ERR_INTERNAL;
		return NULL;
	}
	d->strings[d->nstrings - 1] = (char *)list;
	cJSON_ArrayForEach(v, a)
		if (cJSON_IsString(v) && !(list[i++] = keep(d, v->valuestring)))
			*rc = ERR_INTERNAL;
	list[i] = NULL;
	return list;
}

/* Fills D's grants from the "permissions" object P. */
static enum fs_err
grants_of(struct fs_declared *d, const cJSON *p)
{
	size_t n = (size_t)cJSON_GetArraySize(p), i = 0;
	enum fs_err rc = FS_OK;
	const cJSON *g;

	if (!(d->grants = calloc(n + 1, sizeof(*d->grants))))
		return ERR_INTERNAL;
	cJSON_ArrayForEach(g, p) {
		struct fs_grant *out = &d->grants[i++];

		out->role = keep(d, g->string);
		out->ops = ops_of(cJSON_GetObjectItemCaseSensitive(g, "ops"));
		out->own = ops_of(cJSON_GetObjectItemCaseSensitive(g, "own"));
		out->sets = values_of(d, cJSON_GetObjectItemCaseSensitive(g, "sets"), &rc);
		out->while_in = values_of(d, cJSON_GetObjectItemCaseSensitive(g, "while_in"), &rc);
		if (!out->role)
			rc = ERR_INTERNAL;
	}
	return rc;
}

enum fs_err
fs_declared_parse(struct fs_declared *d, const char *json, struct fs_error *err)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *perms = cJSON_GetObjectItemCaseSensitive(root, "permissions");
	enum fs_err rc;

	memset(d, 0, sizeof(*d));
	d->res.columns = no_columns;
	d->res.filters = no_filters;
	if (!cJSON_IsObject(perms) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "table"))) {
		cJSON_Delete(root);
		return fs_error_set(err, ERR_INVALID_VALUE, NULL, "a declaration without table or permissions");
	}
	d->res.table = member(d, root, "table");
	d->res.path = member(d, root, "path");
	d->res.owner = member(d, root, "owner");
	d->res.approver = member(d, root, "approver");
	d->res.approved = member(d, root, "approved");
	rc = grants_of(d, perms);
	d->res.grants = d->grants;
	cJSON_Delete(root);
	if (rc != FS_OK || !d->res.table)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return FS_OK;
}

void
fs_declared_release(struct fs_declared *d)
{
	for (size_t i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
	free(d->strings);
	free(d->grants);
	memset(d, 0, sizeof(*d));
}
