/* fs_read.c - reads: one row, or a page whose JSON PostgreSQL makes and we pass through. */
#include <stdio.h>
#include <stdlib.h>

#include "fs_model.h"
#include "fs_query.h"
#include "fs_read.h"

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

/* GET ?id=: one row with its version as ETag. */
static void
get_one(struct fs_worker *w, struct fs_request *req, const char *id)
{
	const char *params[] = { id };
	PGresult *r = fs_db_exec(&w->db, STMT_GET, params, 0, &req->err);

	if (!r)
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

/* GET: one page of the list. */
static void
get_list(struct fs_worker *w, struct fs_request *req, const struct fs_query *q)
{
	const char *params[3 + FS_MAX_FILTERS] = { NULL };
	char limit[16];
	int n = fs_model_nfilters(w->res);
	PGresult *r;

	snprintf(limit, sizeof(limit), "%d", q->limit);
	params[0] = limit;
	params[1] = q->after_key;
	params[2] = q->after_id;
	for (int i = 0; i < n; i++)
		params[3 + i] = q->values[i];
	r = fs_db_exec(&w->db, STMT_LIST, params, 0, &req->err);
	if (!r) {
		/* Filters are checked already; a value PostgreSQL refuses came in the cursor. */
		if (req->err.code == ERR_INVALID_FORMAT && q->after_key)
			fs_error_set(&req->err, ERR_INVALID_PARAMETER, "after", "after is not a valid cursor");
		return;
	}
	if (!PQgetisnull(r, 0, 1))
		link_next(req, q, PQgetvalue(r, 0, 1));
	if (req->err.code != FS_OK) {
		PQclear(r);
		return;
	}
	answer_cell(req, r, 0);
}

void
fs_read_handle(struct fs_worker *w, struct fs_request *req)
{
	struct fs_query q;

	if (fs_query_parse(w->res, req->query, FS_QUERY_ID | FS_QUERY_LIST, w->cfg->page_default,
	    w->cfg->page_max, &q, &req->err) == FS_OK) {
		if (q.id)
			get_one(w, req, q.id);
		else
			get_list(w, req, &q);
	}
	fs_query_release(&q);
}
