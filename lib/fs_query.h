/*
 * fs_query.h - the query string of a request, checked against the resource's filters.
 */
#ifndef FS_QUERY_H
#define FS_QUERY_H

#include <uriparser/Uri.h>

#include "fs_error.h"
#include "fs_model.h"

/* The longest query parameter value accepted, in bytes. */
#define FS_MAX_VALUE 1000

/*
 * The longest `after` cursor: a sort value (text of at most FS_DEFAULT_MAX_LEN bytes, the
 * longest a sort column holds), a bar and a uuid. The server never makes a longer one, so
 * it never refuses a cursor it made.
 */
#define FS_MAX_CURSOR (FS_DEFAULT_MAX_LEN + 1 + 36)

/* What a query string asks for, with every value already checked. */
struct fs_query {
	const char *id;			/* ?id=, or NULL */
	int nlist;			/* list parameters given (filters, limit, after) */
	int limit;			/* page size */
	int limit_given;		/* limit= was in the query */
	const char *after_key;		/* keyset cursor: sort value as text, or NULL */
	const char *after_id;		/* keyset cursor: the id, or NULL */
	/* [0] is branch, [i + 1] is res->filters[i]; NULL when not given. */
	const char *values[FS_MAX_FILTERS];
	UriQueryListA *list;		/* owns the decoded keys and values */
	char *owned[FS_MAX_FILTERS + 2]; /* search patterns and the cursor copy */
};

enum fs_query_use {
	FS_QUERY_ID = 1,	/* id= is accepted */
	FS_QUERY_LIST = 2,	/* filters, limit and after are accepted */
};

/*
 * Parses QUERY for RES, accepting what USE (FS_QUERY_* flags) allows, into Q.
 * PAGE_DEFAULT and PAGE_MAX bound `limit`. Returns FS_OK or the code set in ERR;
 * in both cases fs_query_release(Q) frees what was allocated.
 */
enum fs_code fs_query_parse(const struct fs_resource *res, const char *query, unsigned use,
    int page_default, int page_max, struct fs_query *q, struct fs_error *err);

/* Frees what Q owns. */
void fs_query_release(struct fs_query *q);

/*
 * The query string of the next page: Q's parameters without `after`, then after=CURSOR,
 * percent-encoded. The caller frees it with free(); NULL when out of memory.
 */
char *fs_query_next(const struct fs_query *q, const char *cursor);

#endif
