/*
 * fuzz-query.c - a query string: fs_query_parse for a GET of a shipped resource, a row or
 * a list (FS_QUERY_ID | FS_QUERY_LIST).
 *
 * Input: "<resource path>\n<query string>". A query that parses gives, with fs_query_next,
 * a next page's query that parses too, to the same filters and cursor.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_query.h"
#include "resources.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 500

/* Q parsed: its next page, with Q's own cursor (or a made-up one), parses to the same. */
static void
check_next(const struct fs_resource *res, const struct fs_query *q)
{
	struct fs_error err = FS_ERROR_INIT;
	struct fs_query again;
	char cursor[FS_MAX_CURSOR + 1], got[FS_MAX_CURSOR + 1];
	char *next;

	if (q->id)
		return;
	if (q->after_key)
		snprintf(cursor, sizeof(cursor), "%s|%s", q->after_key, q->after_id);
	else
		snprintf(cursor, sizeof(cursor), "2026-01-01T00:00:00Z|00000000-0000-4000-8000-000000000001");
	next = fs_query_next(q, cursor);
	fuzz_assert(next != NULL, "fs_query_next answers");
	if (fs_query_parse(res, next, FS_QUERY_ID | FS_QUERY_LIST, PAGE_DEFAULT, PAGE_MAX, &again,
	    &err) != FS_OK)
		fprintf(stderr, "next page: %s\n%s\n", next, err.message);
	fuzz_assert(err.code == FS_OK, "the next page's query parses");
	fuzz_assert(again.limit == q->limit, "the next page has the same limit");
	fuzz_assert(again.after_key && again.after_id, "the next page has a cursor");
	snprintf(got, sizeof(got), "%s|%s", again.after_key, again.after_id);
	fuzz_assert(strcmp(got, cursor) == 0, "the next page has the cursor it was given");
	for (size_t i = 0; i < FS_MAX_FILTERS; i++)
		fuzz_assert((!q->values[i] && !again.values[i])
		    || (q->values[i] && again.values[i] && strcmp(q->values[i], again.values[i]) == 0),
		    "the next page has the same filters");
	fs_query_release(&again);
	free(next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_error err = FS_ERROR_INIT;
	struct fs_query q;
	const struct fs_resource *res;
	const char *line;
	size_t len;
	char *query = fuzz_split(data, size, &line, &len);

	if (!query)
		return 0;
	if (!(res = fuzz_resource(line, len))) {
		free(query);
		return 0;
	}
	/* QUERY_STRING is a C string: it ends at the first NUL, as the worker sees it. */
	if (fs_query_parse(res, query, FS_QUERY_ID | FS_QUERY_LIST, PAGE_DEFAULT, PAGE_MAX, &q, &err)
	    == FS_OK) {
		fuzz_assert(q.limit >= 1 && q.limit <= PAGE_MAX, "limit is in its bounds");
		fuzz_assert(!q.after_key || q.after_id, "a cursor has an id");
		check_next(res, &q);
	} else {
		fuzz_check_error_json(&err);
	}
	fs_error_clear(&err);
	fs_query_release(&q);
	free(query);
	return 0;
}
