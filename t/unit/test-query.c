/* test-query.c - query strings checked against the filter table. */
#include <stdlib.h>

#include "example.h"
#include "fs_query.h"
#include "tap.h"

/* Parses QUERY for a list (and id) with limits 100/1000; returns the code. */
static enum fs_err
parse(const char *query, struct fs_query *q, struct fs_error *err)
{
	fs_error_clear(err);
	fs_query_release(q);
	return fs_query_parse(&example, query, FS_QUERY_ID | FS_QUERY_LIST, 100, 1000, q, err);
}

int
main(void)
{
	struct fs_query q = { 0 };
	struct fs_error err = FS_ERROR_INIT;
	char *next;

	is_int(fs_model_nfilters(&example), 6, "branch plus five declared filters");
	is_int(parse("", &q, &err), FS_OK, "empty query");
	is_int(q.limit, 100, "default limit");
	is_int(parse("branch=north&status=open&limit=5", &q, &err), FS_OK, "filters and limit");
	is_str(q.values[0], "north", "branch is slot 0");
	is_str(q.values[1], "open", "status is slot 1");
	ok(q.values[2] == NULL, "search not given");
	is_int(q.limit, 5, "limit 5");
	is_int(parse("search=50%25_off%5C", &q, &err), FS_OK, "search with LIKE characters");
	is_str(q.values[2], "%50\\%\\_off\\\\%", "search pattern escapes percent, underscore and backslash");
	is_int(parse("search=a+b", &q, &err), FS_OK, "plus in a query");
	is_str(q.values[2], "%a b%", "plus decodes to a space");
	is_int(parse("status=bogus", &q, &err), ERR_INVALID_PARAMETER, "status outside its set");
	is_str(err.field, "status", "names the status filter");
	is_int(parse("date=2026-02-30", &q, &err), ERR_INVALID_FORMAT, "impossible date");
	is_int(parse("active_on=2026-02-03", &q, &err), FS_OK, "span filter takes a date");
	is_int(parse("owner_id=nope", &q, &err), ERR_INVALID_FORMAT, "uuid filter checked");
	is_int(parse("colour=red", &q, &err), ERR_UNKNOWN_PARAMETER, "unknown parameter");
	is_str(err.field, "colour", "names the unknown parameter");
	is_int(parse("status=open&status=closed", &q, &err), ERR_INVALID_PARAMETER, "repeated filter");
	is_int(parse("status=", &q, &err), ERR_INVALID_PARAMETER, "empty value");
	is_int(parse("status", &q, &err), ERR_INVALID_PARAMETER, "no value at all");
	{
		char longq[1100] = "search=";
		memset(longq + 7, 'a', 1001);
		is_int(parse(longq, &q, &err), ERR_INVALID_PARAMETER, "a value over 1000 bytes");
	}
	is_int(parse("search=caf%C3%A9", &q, &err), FS_OK, "UTF-8 search");
	is_int(parse("search=%FF%FE", &q, &err), ERR_INVALID_FORMAT, "search not UTF-8");
	is_str(err.field, "search", "names the parameter that is not UTF-8");
	is_int(parse("limit=0", &q, &err), ERR_INVALID_PARAMETER, "limit 0");
	is_int(parse("limit=1001", &q, &err), ERR_INVALID_PARAMETER, "limit over the maximum");
	is_int(parse("limit=1000", &q, &err), FS_OK, "limit at the maximum");
	is_int(parse("limit=5x", &q, &err), ERR_INVALID_PARAMETER, "limit with letters");
	is_int(parse("limit=-3", &q, &err), ERR_INVALID_PARAMETER, "negative limit");
	is_int(parse("after=abc", &q, &err), ERR_INVALID_PARAMETER, "cursor without id");
	is_int(parse("after=a%7Cb%7C6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11", &q, &err), FS_OK,
	    "cursor whose key holds a bar");
	is_str(q.after_key, "a|b", "cursor key split at the last bar");
	is_str(q.after_id, "6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11", "cursor id");
	is_int(parse("id=6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11", &q, &err), FS_OK, "id");
	is_str(q.id, "6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11", "id value");
	is_int(parse("id=42", &q, &err), ERR_INVALID_FORMAT, "id not a uuid");
	is_int(parse("id=6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11&limit=3", &q, &err),
	    ERR_INVALID_PARAMETER, "id with paging");

	fs_error_clear(&err);
	fs_query_release(&q);
	is_int(fs_query_parse(&example, "status=open", FS_QUERY_ID, 1, 1, &q, &err),
	    ERR_UNKNOWN_PARAMETER, "DELETE takes no filters");

	is_int(parse("branch=a%20b&after=x%7C6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11&limit=2", &q, &err),
	    FS_OK, "a page to continue");
	next = fs_query_next(&q, "2026-11-26 10:00:00+00|6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11");
	is_str(next, "branch=a+b&limit=2&after=2026-11-26+10%3A00%3A00%2B00%7C"
	    "6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11", "next page: old cursor dropped, new one encoded");
	free(next);
	fs_query_release(&q);

	/* Found by fuzzing: the next page's link turned each line break into CR LF. */
	is_int(parse("branch=a%0Ab%0Dc&limit=2", &q, &err), FS_OK, "a filter value with line breaks");
	next = fs_query_next(&q, "x|6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11");
	is_str(next, "branch=a%0Ab%0Dc&limit=2&after=x%7C6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11",
	    "next page: the same filter value, its line breaks as they were");
	free(next);
	fs_query_release(&q);
	fs_error_clear(&err);
	return done_testing();
}
