/* fs_query.c - query strings through liburiparser, checked against the filter table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "fs_query.h"

/* Keeps S in Q so that fs_query_release frees it; returns S, or NULL if S is NULL. */
static char *
keep(struct fs_query *q, char *s)
{
	for (size_t i = 0; s && i < sizeof(q->owned) / sizeof(q->owned[0]); i++)
		if (!q->owned[i])
			return q->owned[i] = s;
	free(s);
	return NULL;
}

/* The ILIKE pattern matching VALUE anywhere, with % _ and \ taken literally. */
static char *
search_pattern(const char *value)
{
	size_t n = strlen(value);
	char *p = malloc(2 * n + 3), *o = p;

	if (!p)
		return NULL;
	*o++ = '%';
	for (const char *s = value; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

/* Checks VALUE for filter F of RES and stores it (or its pattern) in slot I. */
static enum fs_err
set_filter(const struct fs_resource *res, int i, const char *value, struct fs_query *q,
    struct fs_error *err)
{
	const struct fs_filter *f = fs_model_filter(res, i);
	const struct fs_column *c = fs_model_column(res, f->columns[0]);

	if (q->values[i])
		return fs_error_set(err, ERR_INVALID_PARAMETER, f->name, "%s is given twice", f->name);
	if ((f->kind == FILTER_DAY || f->kind == FILTER_SPAN) && !fs_is_date(value))
		return fs_error_set(err, ERR_INVALID_FORMAT, f->name,
		    "%s must be a date (YYYY-MM-DD)", f->name);
	if (f->kind == FILTER_EQ && c && c->type == COL_UUID && !fs_is_uuid(value))
		return fs_error_set(err, ERR_INVALID_FORMAT, f->name, "%s must be a uuid", f->name);
	if (f->kind == FILTER_EQ && c && c->type == COL_ENUM && !fs_model_enum_has(c, value))
		return fs_error_set(err, ERR_INVALID_PARAMETER, f->name,
		    "%s \"%.40s\" is not one of the allowed values", f->name, value);
	if (f->kind == FILTER_SEARCH) {
		value = keep(q, search_pattern(value));
		if (!value)
			return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	q->values[i] = value;
	return FS_OK;
}

/* Parses `limit`: digits only (strtol alone would take " 5" and "+5"). */
static enum fs_err
set_limit(const char *value, int page_max, struct fs_query *q, struct fs_error *err)
{
	char *end;
	long v;

	if (q->limit_given)
		return fs_error_set(err, ERR_INVALID_PARAMETER, "limit", "limit is given twice");
	q->limit_given = 1;
	errno = 0;
	v = strtol(value, &end, 10);
	if (strspn(value, "0123456789") != strlen(value) || errno || *end || end == value || v < 1
	    || v > page_max)
		return fs_error_set(err, ERR_INVALID_PARAMETER, "limit",
		    "limit must be a whole number from 1 to %d", page_max);
	q->limit = (int)v;
	return FS_OK;
}

/* Parses the cursor `after`: "<sort value>|<id>", split at the last bar. */
static enum fs_err
set_after(const char *value, struct fs_query *q, struct fs_error *err)
{
	char *copy, *bar;

	if (q->after_key)
		return fs_error_set(err, ERR_INVALID_PARAMETER, "after", "after is given twice");
	if (!(copy = keep(q, strdup(value))))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	bar = strrchr(copy, '|');
	if (!bar || bar == copy || !fs_is_uuid(bar + 1))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "after",
		    "after must be a cursor taken from a Link header");
	*bar = '\0';
	q->after_key = copy;
	q->after_id = bar + 1;
	return FS_OK;
}

/* Handles one KEY=VALUE pair. */
static enum fs_err
take_param(const struct fs_resource *res, unsigned use, int page_max, const char *key,
    const char *value, struct fs_query *q, struct fs_error *err)
{
	int n = fs_model_nfilters(res);

	if (!fs_is_utf8(key, strlen(key)))
		return fs_error_set(err, ERR_INVALID_PARAMETER, NULL, "a parameter name is not UTF-8");
	if (!value || !*value)
		return fs_error_set(err, ERR_INVALID_PARAMETER, key, "%.60s needs a value", key);
	if (strlen(value) > (strcmp(key, "after") == 0 ? FS_MAX_CURSOR : FS_MAX_VALUE))
		return fs_error_set(err, ERR_INVALID_PARAMETER, key,
		    "%.60s is longer than %d bytes", key,
		    strcmp(key, "after") == 0 ? FS_MAX_CURSOR : FS_MAX_VALUE);
	if (!fs_is_utf8(value, strlen(value)))
		return fs_error_set(err, ERR_INVALID_FORMAT, key, "%.60s is not valid UTF-8", key);
	if ((use & FS_QUERY_ID) && strcmp(key, "id") == 0) {
		if (q->id)
			return fs_error_set(err, ERR_INVALID_PARAMETER, "id", "id is given twice");
		if (!fs_is_uuid(value))
			return fs_error_set(err, ERR_INVALID_FORMAT, "id", "id must be a uuid");
		q->id = value;
		return FS_OK;
	}
	if (use & FS_QUERY_LIST) {
		q->nlist++;
		if (strcmp(key, "limit") == 0)
			return set_limit(value, page_max, q, err);
		if (strcmp(key, "after") == 0)
			return set_after(value, q, err);
		for (int i = 0; i < n; i++)
			if (strcmp(key, fs_model_filter(res, i)->name) == 0)
				return set_filter(res, i, value, q, err);
	}
	return fs_error_set(err, ERR_UNKNOWN_PARAMETER, key, "unknown query parameter \"%.60s\"", key);
}

enum fs_err
fs_query_parse(const struct fs_resource *res, const char *query, unsigned use, int page_default,
    int page_max, struct fs_query *q, struct fs_error *err)
{
	int count = 0;
	enum fs_err rc = FS_OK;

	memset(q, 0, sizeof(*q));
	q->limit = page_default;
	if (!query || !*query)
		return FS_OK;
	if (uriDissectQueryMallocA(&q->list, &count, query, query + strlen(query)) != URI_SUCCESS)
		return fs_error_set(err, ERR_INVALID_PARAMETER, NULL, "the query string is malformed");
	for (const UriQueryListA *p = q->list; p && rc == FS_OK; p = p->next)
		rc = take_param(res, use, page_max, p->key, p->value, q, err);
	if (rc == FS_OK && q->id && q->nlist)
		rc = fs_error_set(err, ERR_INVALID_PARAMETER, "id",
		    "id cannot be combined with filters or paging");
	return rc;
}

void
fs_query_release(struct fs_query *q)
{
	uriFreeQueryListA(q->list);
	for (size_t i = 0; i < sizeof(q->owned) / sizeof(q->owned[0]); i++)
		free(q->owned[i]);
	memset(q, 0, sizeof(*q));
}

char *
fs_query_next(const struct fs_query *q, const char *cursor)
{
	UriQueryListA *kept = NULL, **tail = &kept, *p, *next;
	UriQueryListA after = { "after", cursor, NULL };
	char *out = NULL;

	/* Shallow copies of the list without `after`, then the new cursor at the end. */
	for (p = q->list; p; p = p->next) {
		if (strcmp(p->key, "after") == 0)
			continue;
		*tail = malloc(sizeof(**tail));
		if (!*tail)
			goto out;
		**tail = (UriQueryListA){ p->key, p->value, NULL };
		tail = &(*tail)->next;
	}
	*tail = &after;
	/* Spaces as "+", as parsing reads them; line breaks kept as sent (the default makes
	 * each a CR LF, which would change a filter's value from one page to the next). */
	if (uriComposeQueryMallocExA(&out, kept, URI_TRUE, URI_FALSE) != URI_SUCCESS)
		out = NULL;
	*tail = NULL;
out:
	for (p = kept; p; p = next) {
		next = p->next;
		free(p);
	}
	return out;
}
