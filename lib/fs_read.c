/* fs_read.c - reads: one row, or a page whose JSON PostgreSQL makes and we pass through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_model.h"
#include "fs_perm.h"
#include "fs_query.h"
#include "fs_read.h"

/* What the request's user may read of the resource, as the statements' scope parameters. */
struct scope {
	char *all, *own;	/* owned text[] literals; NULL with everywhere */
	bool everywhere;
};

/* Fills S for W's user; false (ERR set) when out of memory. */
static bool
scope_of(struct fs_worker *w, struct scope *s, struct fs_error *err)
{
	return fs_perm_branches(w->res, w->user, FS_OP_READ, &s->all, &s->own, &s->everywhere, err)
	    == FS_OK;
}

/* Whether S holds no branch at all: the user's roles may not read the resource anywhere. */
static bool
scope_empty(const struct scope *s)
{
	return !s->everywhere && strcmp(s->all, "{}") == 0 && strcmp(s->own, "{}") == 0;
}

/* S as parameters from P (fs_sql_scope_params of them); S must outlive P's use. */
static void
scope_params(const struct fs_worker *w, const struct scope *s, const char **p)
{
	p[0] = s->everywhere ? NULL : s->all;
	if (w->res->owner) {
		p[1] = s->everywhere ? NULL : s->own;
		p[2] = w->user->login;
	}
}

static void
scope_release(struct scope *s)
{
	free(s->all);
	free(s->own);
}

/* Releases the result a body points into, once the answer is sent. */
static void
drop_result(void *r)
{
	PQclear(r);
}

/* Answers with cell (0, COL) of R as the body; R is released with the request. */
static void
answer_cell(struct fs_request *req, PGresult *r, int col)
{
	fs_response_set(req, 200, PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col));
	req->resp.hold = r;
	req->resp.drop = drop_result;
}

/* GET ?id=: one row in scope with its version as ETag; any other is not found. */
static void
get_one(struct fs_worker *w, struct fs_request *req, const char *id, const struct scope *s)
{
	const char *params[4] = { id };
	PGresult *r;

	scope_params(w, s, params + 1);
	if (!(r = fs_db_exec(&w->db, STMT_GET, params, 0, &req->err)))
		return;
	if (PQntuples(r) == 0) {
		fs_error_set(&req->err, ERR_NOT_FOUND, "id", "no %s with id %s", w->res->path, id);
		PQclear(r);
		return;
	}
	if (fs_response_header(req, "ETag", "\"%s\"", PQgetvalue(r, 0, 1)) != FS_OK) {
		PQclear(r);
		return;
	}
	answer_cell(req, r, 0);
}

/* Adds the Link header to the page after CURSOR. */
static void
link_next(struct fs_request *req, const struct fs_query *q, const char *cursor)
{
	char *query = fs_query_next(q, cursor);

	if (!query)
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
	else
		fs_response_header(req, "Link", "<%s?%s>; rel=\"next\"", req->path, query);
	free(query);
}

/*
 * Joins the rows of R into the page: at most LIMIT, while they fit MAX_BYTES (the first
 * always counts). Its body to REQ, and *CURSOR the last row's cursor (in R) when more
 * rows follow, else NULL.
 */
static enum fs_err
join_page(struct fs_request *req, const PGresult *r, int limit, long max_bytes,
    const char **cursor)
{
	int n = PQntuples(r), kept = 0;
	long rows = 0;		/* the rows' bytes, as the statement counts them */
	size_t len = 2;
	char *body, *p;

	while (kept < n && kept < limit) {
		rows += PQgetlength(r, kept, 0);
		if (kept > 0 && rows > max_bytes)
			break;
		len += (size_t)PQgetlength(r, kept, 0) + (kept > 0);
		kept++;
	}
	*cursor = kept < n ? PQgetvalue(r, kept - 1, 1) : NULL;
	if (!(body = malloc(len + 1)))
		return fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
	p = body;
	*p++ = '[';
	for (int i = 0; i < kept; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
		p += PQgetlength(r, i, 0);
	}
	*p++ = ']';
	*p = '\0';
	fs_response_take(req, 200, body, len);
	return FS_OK;
}

/* GET: one page of the list, of the rows in scope. */
static void
get_list(struct fs_worker *w, struct fs_request *req, const struct fs_query *q,
    const struct scope *s)
{
	const char *params[7 + FS_MAX_FILTERS] = { NULL }, *cursor;
	char limit[16], bytes[24];
	int n = fs_model_nfilters(w->res), first = 3 + fs_sql_scope_params(w->res);
	PGresult *r;

	if (scope_empty(s)) {
		fs_error_set(&req->err, ERR_FORBIDDEN, NULL, "your roles may not read %ss",
		    w->res->noun ? w->res->noun : w->res->path);
		return;
	}
	snprintf(limit, sizeof(limit), "%d", q->limit);
	params[0] = limit;
	params[1] = q->after_key;
	params[2] = q->after_id;
	scope_params(w, s, params + 3);
	for (int i = 0; i < n; i++)
		params[first + i] = q->values[i];
	snprintf(bytes, sizeof(bytes), "%ld", w->cfg->page_max_bytes);
	params[first + n] = bytes;
	r = fs_db_exec(&w->db, STMT_LIST, params, 0, &req->err);
	if (!r) {
		/* Filters are checked already; a value PostgreSQL refuses came in the cursor. */
		if (req->err.code == ERR_INVALID_FORMAT && q->after_key)
			fs_error_set(&req->err, ERR_INVALID_PARAMETER, "after", "after is not a valid cursor");
		return;
	}
	if (join_page(req, r, q->limit, w->cfg->page_max_bytes, &cursor) == FS_OK && cursor)
		link_next(req, q, cursor);
	PQclear(r);
}

void
fs_read_handle(struct fs_worker *w, struct fs_request *req)
{
	struct fs_query q;
	struct scope s = { NULL, NULL, false };

	if (fs_query_parse(w->res, req->query, FS_QUERY_ID | FS_QUERY_LIST, w->cfg->page_default,
	    w->cfg->page_max, &q, &req->err) == FS_OK && scope_of(w, &s, &req->err)) {
		if (q.id)
			get_one(w, req, q.id, &s);
		else
			get_list(w, req, &q, &s);
	}
	scope_release(&s);
	fs_query_release(&q);
}
