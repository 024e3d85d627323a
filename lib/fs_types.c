/* fs_types.c - the types= grammar, matching, and the feed's LIKE patterns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_types.h"

static const char *const actions[] = { "create", "update", "delete", NULL };

/* The position of the table named by the LEN bytes at NAME in T, or -1. */
static long
find_table(const struct fs_tables *t, const char *name, size_t len)
{
	size_t lo = 0, hi = t ? t->n : 0, mid;
	int c;

	while (lo < hi) {	/* binary search: the names are sorted */
		mid = lo + (hi - lo) / 2;
		c = strncmp(t->names[mid], name, len);
		if (c == 0 && t->names[mid][len] == '\0')
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;	/* greater, or NAME followed by more */
	}
	return -1;
}

int
fs_tables_has(const struct fs_tables *t, const char *name, size_t len)
{
	return find_table(t, name, len) >= 0;
}

const struct fs_resource *
fs_tables_resource(const struct fs_tables *t, const char *name, size_t len)
{
	long i = find_table(t, name, len);

	if (i < 0 || !t->decl || !t->decl[i].res.table)
		return NULL;
	return &t->decl[i].res;
}

/* Whether the N bytes at S are an action ("" for "*"); copies it into OUT (8 bytes). */
static int
parse_action(const char *s, size_t n, char *out)
{
	if (n == 1 && s[0] == '*') {
		out[0] = '\0';
		return 1;
	}
	for (const char *const *a = actions; *a; a++) {
		if (strlen(*a) == n && memcmp(*a, s, n) == 0) {
			memcpy(out, s, n + 1 > 8 ? 8 : n);
			out[n] = '\0';
			return 1;
		}
	}
	return 0;
}

/* Whether the N bytes at S could be a table name: lowercase letters, digits and "_". */
static int
is_name(const char *s, size_t n)
{
	if (n == 0 || n > FS_TYPES_MAX_NAME)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") >= n;
}

#define GRAMMAR "types must be a comma-separated list of table:action or table:* (or *)"

/* Checks the entry of N bytes at S into T (room for it is there). FS_OK, or the error in ERR. */
static enum fs_err
parse_entry(struct fs_types *t, const char *s, size_t n, const struct fs_tables *known,
    struct fs_error *err)
{
	const char *colon = memchr(s, ':', n);
	struct fs_type *item = &t->items[t->n];
	size_t left = colon ? (size_t)(colon - s) : n;

	if (n == 1 && s[0] == '*') {
		t->all = 1;
		return FS_OK;
	}
	if (!colon || !is_name(s, left))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "types", GRAMMAR);
	if (!fs_tables_has(known, s, left))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "types",
		    "types: no table %.*s has a change log", (int)left, s);
	if (!parse_action(colon + 1, n - left - 1, item->action))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "types",
		    "types: the action of %.*s must be create, update, delete or *", (int)left, s);
	memcpy(item->table, s, left);
	item->table[left] = '\0';
	t->n++;
	return FS_OK;
}

enum fs_err
fs_types_parse(struct fs_types *t, const char *text, const struct fs_tables *known,
    struct fs_error *err)
{
	size_t len = strlen(text), entries = 1;
	const char *p = text, *end = text + len, *comma;

	memset(t, 0, sizeof(*t));
	if (len == 0 || len > FS_TYPES_MAX_TEXT)
		return fs_error_set(err, ERR_INVALID_PARAMETER, "types", GRAMMAR " of at most %d bytes",
		    FS_TYPES_MAX_TEXT);
	for (const char *c = text; (c = strchr(c, ',')); c++)
		entries++;
	if (!(t->items = calloc(entries, sizeof(*t->items))))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (parse_entry(t, p, (size_t)((comma ? comma : end) - p), known, err) != FS_OK) {
			fs_types_release(t);
			return err->code;
		}
		if (!comma)
			return FS_OK;
		p = comma + 1;
	}
}

int
fs_types_match(const struct fs_types *t, const char *type, size_t len)
{
	const char *colon = memchr(type, ':', len);
	size_t left;

	if (!t || t->all)
		return 1;
	if (!colon)
		return 0;
	left = (size_t)(colon - type);
	for (size_t i = 0; i < t->n; i++) {
		const struct fs_type *it = &t->items[i];

		if (strlen(it->table) != left || memcmp(it->table, type, left) != 0)
			continue;
		if (!it->action[0] || (strlen(it->action) == len - left - 1 &&
		    memcmp(it->action, colon + 1, len - left - 1) == 0))
			return 1;
	}
	return 0;
}

enum fs_err
fs_types_patterns(const struct fs_types *t, char **out, struct fs_error *err)
{
	/* Each entry: the table (each "_" escaped), ":", action or "%", ","; then "{", "}", NUL. */
	size_t size = 3 + t->n * (3 * FS_TYPES_MAX_NAME + 1 + 7 + 1), used = 1;
	char *s;

	*out = NULL;
	if (t->all)
		return FS_OK;
	if (!(s = malloc(size)))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	s[0] = '{';
	/* Names and actions are [a-z0-9_]: the literal needs no quoting; "_" is a LIKE
	 * wildcard, so it is escaped ("\\_" in the literal, "\_" in the pattern). */
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			s[used++] = ',';
		for (const char *c = t->items[i].table; *c; c++) {
			if (*c == '_')
				s[used++] = '\\', s[used++] = '\\';
			s[used++] = *c;
		}
		used += (size_t)sprintf(s + used, ":%s", t->items[i].action[0] ? t->items[i].action : "%");
	}
	s[used++] = '}';
	s[used] = '\0';
	*out = s;
	return FS_OK;
}

void
fs_types_release(struct fs_types *t)
{
	free(t->items);
	t->items = NULL;
	t->n = 0;
	t->all = 0;
}
