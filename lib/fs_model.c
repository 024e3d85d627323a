/* fs_model.c - the common columns and the lookups over a declaration. */
#include <string.h>

#include "fs_model.h"

const struct fs_column fs_model_leading[] = {
	{ .name = "id", .type = COL_UUID },
	{ .name = "branch", .type = COL_TEXT, .flags = COL_REQUIRED, .max_len = 200,
	  .rule = "must not be empty", .example = "\"north\"" },
	{ .name = NULL },
};

const struct fs_column fs_model_trailing[] = {
	{ .name = "created_at", .type = COL_TIMESTAMP, .flags = COL_READONLY },
	{ .name = "updated_at", .type = COL_TIMESTAMP, .flags = COL_READONLY },
	{ .name = "version", .type = COL_INT, .flags = COL_READONLY | COL_HAS_MIN | COL_HAS_MAX,
	  .min = 1, .max = 2147483647 },
	/* Who created and last changed the row (user ids), written by the database (sql/007). */
	{ .name = "created_by", .type = COL_UUID, .flags = COL_READONLY },
	{ .name = "updated_by", .type = COL_UUID, .flags = COL_READONLY },
	{ .name = NULL },
};

static const struct fs_filter branch_filter = { "branch", FILTER_EQ, { "branch" } };

/* The column NAME in the {NULL}-terminated list COLS, or NULL. */
static const struct fs_column *
find(const struct fs_column *cols, const char *name)
{
	for (const struct fs_column *c = cols; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct fs_column *
fs_model_column(const struct fs_resource *res, const char *name)
{
	const struct fs_column *c = find(fs_model_leading, name);

	if (!c)
		c = find(res->columns, name);
	if (!c)
		c = find(fs_model_trailing, name);
	return c;
}

bool
fs_model_is_common(const struct fs_column *c)
{
	return find(fs_model_leading, c->name) == c || find(fs_model_trailing, c->name) == c;
}

int
fs_model_max_len(const struct fs_column *c)
{
	return c->max_len ? c->max_len : FS_DEFAULT_MAX_LEN;
}

bool
fs_model_enum_has(const struct fs_column *c, const char *value)
{
	for (const char *const *v = c->values; v && *v; v++)
		if (strcmp(*v, value) == 0)
			return true;
	return false;
}

const char *
fs_model_type_name(enum fs_coltype t)
{
	static const char *const names[COL__MAX] = {
		[COL_TEXT] = "text", [COL_ENUM] = "enum", [COL_UUID] = "uuid", [COL_DATE] = "date",
		[COL_TIMESTAMP] = "timestamp", [COL_INT] = "integer", [COL_NUMERIC] = "numeric",
		[COL_DOUBLE] = "double", [COL_OBJECT] = "object", [COL_ARRAY] = "array",
	};
	return t < COL__MAX ? names[t] : "text";
}

int
fs_model_nfilters(const struct fs_resource *res)
{
	int n = 1;

	while (res->filters[n - 1].name)
		n++;
	return n;
}

const struct fs_filter *
fs_model_filter(const struct fs_resource *res, int i)
{
	return i == 0 ? &branch_filter : &res->filters[i - 1];
}

const char *
fs_model_filter_kind_name(enum fs_filterkind k)
{
	static const char *const names[FILTER__MAX] = {
		[FILTER_EQ] = "eq", [FILTER_SEARCH] = "search", [FILTER_DAY] = "day",
		[FILTER_SPAN] = "span",
	};
	return k < FILTER__MAX ? names[k] : "eq";
}
