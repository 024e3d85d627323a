/* fs_read.c - reads: one row, or a page whose JSON PostgreSQL makes and we pass through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_metrics.h"
#include "fs_model.h"
#include "fs_perm.h"
#include "fs_pg_stream.h"
#include "fs_query.h"
#include "fs_read.h"
#include "fs_rowjson.h"

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

/* Answers GET ?id= ID with R, the row (or none) in scope and its version as ETag; R is taken. */
static void
answer_one(struct fs_worker *w, struct fs_request *req, const char *id, PGresult *r)
{
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

/* Runs GET ?id= with PARAMS (the id, then the scope's) at once and answers it. */
static void
run_one(struct fs_worker *w, struct fs_request *req, const char *const *params)
{
	PGresult *r = fs_db_exec(&w->db, STMT_GET, params, 0, &req->err);

	if (r)
		answer_one(w, req, params[0], r);
}

/* The deferred GET I places after the oldest. */
static struct fs_deferred *
deferred_at(struct fs_worker *w, int i)
{
	return &w->deferred[(w->first + i) % FS_DEFERRED];
}

/* Leaves GET ?id= with PARAMS to go behind the others in flight; false (nothing kept) when it cannot. */
static bool
defer_one(struct fs_worker *w, struct fs_request *req, const char *const *params)
{
	struct fs_deferred *d = deferred_at(w, w->ndeferred);
	int n = 1 + fs_sql_scope_params(w->res);

	if (!w->deferring || w->ndeferred == FS_DEFERRED)
		return false;
	for (int i = 0; i < n; i++) {
		d->params[i] = params[i] ? strdup(params[i]) : NULL;
		if (params[i] && !d->params[i]) {
			while (i-- > 0)
				free(d->params[i]);
			return false;
		}
	}
	d->req = req;
	req->deferred = true;
	w->ndeferred++;
	return true;
}

/* GET ?id=: one row in scope with its version as ETag; any other is not found. */
static void
get_one(struct fs_worker *w, struct fs_request *req, const char *id, const struct scope *s)
{
	const char *params[4] = { id };

	scope_params(w, s, params + 1);
	if (!defer_one(w, req, params))
		run_one(w, req, params);
}

int
fs_read_spare(const struct fs_worker *w)
{
	return (w->first + w->ndeferred) % FS_DEFERRED;
}

void
fs_read_take(struct fs_worker *w, bool wait)
{
	for (int i = 0; i < w->ndeferred; i++) {
		struct fs_deferred *d = deferred_at(w, i);

		if (d->done)
			continue;
		if (!d->sent || fs_pg_stream_take(&w->db.pg, wait, &d->r) == FS_PG_STREAM_PENDING)
			return;
		d->done = true;
	}
}

/* fs_pg's hook before another use of the connection: every result in flight taken. */
static void
take_all(void *w)
{
	fs_read_take(w, true);
}

void
fs_read_send(struct fs_worker *w)
{
	struct fs_pg *pg = &w->db.pg;
	int before = fs_pg_stream_unread(pg), group = 0;

	pg->finish_stream = take_all;
	pg->finish_stream_arg = w;
	for (int i = 0; i < w->ndeferred; i++) {
		struct fs_deferred *d = deferred_at(w, i);

		if (d->sent || d->done)
			continue;
		if (fs_pg_stream_send(pg, &w->db.stmts[STMT_GET], (const char *const *)d->params)) {
			d->sent = true;
			group++;
		} else {
			d->done = true;	/* runs on its own, as without a stream */
		}
	}
	if (group && fs_pg_stream_sync(pg) && before + group > 1)
		fs_metrics_shared_reads((unsigned long)group);
}

int
fs_read_socket(const struct fs_worker *w)
{
	return fs_pg_stream_socket(&w->db.pg);
}

struct fs_request *
fs_read_answered(struct fs_worker *w)
{
	struct fs_deferred *d = deferred_at(w, 0);
	struct fs_request *req = d->req;

	if (w->ndeferred == 0 || !d->done)
		return NULL;
	if (d->r)
		answer_one(w, req, d->params[0], d->r);
	else
		run_one(w, req, (const char *const *)d->params);
	for (int k = 0; k < 4; k++)
		free(d->params[k]);
	memset(d, 0, sizeof(*d));
	w->first = (w->first + 1) % FS_DEFERRED;
	w->ndeferred--;
	return req;
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

/* A page being read row by row (page_row). */
struct page {
	struct fs_text body;	/* "[" and the rows so far */
	int limit, rows;	/* rows asked for, rows in */
	long max_bytes;		/* the rows' JSON up to this (the first always counts) */
	long bytes;
	bool more;		/* a row came that is not in: the page ends before it */
	char *cursor;		/* the last row's, owned */
	struct fs_error *err;
};

/* Takes row ROW into page ARG while it fits, else notes that more rows follow. */
static enum fs_err
page_row(const PGresult *row, void *arg)
{
	struct page *p = arg;
	int ncols = PQnfields(row) - 1;	/* the cursor last */
	size_t before = p->body.len;

	if (p->more)
		return FS_OK;	/* the rest is read and dropped */
	if (p->rows == p->limit) {
		p->more = true;
		return FS_OK;
	}
	if (p->rows > 0)
		fs_text_add(&p->body, ",", 1);
	fs_rowjson_write(&p->body, row, 0, ncols);
	p->bytes += (long)(p->body.len - before) - (p->rows > 0);
	if (p->rows > 0 && p->bytes > p->max_bytes) {
		fs_text_cut(&p->body, before);	/* over the bound: it begins the next page */
		p->more = true;
		return FS_OK;
	}
	p->rows++;
	free(p->cursor);
	if (p->body.failed || !(p->cursor = strdup(PQgetvalue(row, 0, ncols))))
		return fs_error_set(p->err, ERR_INTERNAL, NULL, "out of memory");
	return FS_OK;
}

/* GET: one page of the list, of the rows in scope, by the statement of what the request gives. */
static void
get_list(struct fs_worker *w, struct fs_request *req, const struct fs_query *q,
    const struct scope *s)
{
	const char *params[6 + FS_MAX_FILTERS] = { NULL };
	char limit[16];
	int n = 0;
	unsigned parts = 0;
	struct page p = { .limit = q->limit, .max_bytes = w->cfg->page_max_bytes, .err = &req->err };
	struct fs_pg_lazy *list;
	enum fs_err rc;

	if (scope_empty(s)) {
		fs_error_set(&req->err, ERR_FORBIDDEN, NULL, "your roles may not read %ss",
		    w->res->noun ? w->res->noun : w->res->path);
		return;
	}
	snprintf(limit, sizeof(limit), "%d", q->limit);
	params[n++] = limit;
	if (q->after_key) {
		parts |= FS_LIST_AFTER;
		params[n++] = q->after_key;
		params[n++] = q->after_id;
	}
	if (!s->everywhere) {
		parts |= FS_LIST_SCOPED;
		scope_params(w, s, params + n);
		n += fs_sql_scope_params(w->res);
	}
	for (int i = 0; i < fs_model_nfilters(w->res); i++)
		if (q->values[i]) {
			parts |= FS_LIST_FILTER(i);
			params[n++] = q->values[i];
		}
	if (!(list = fs_db_list(&w->db, parts))) {
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	fs_text_add(&p.body, "[", 1);
	rc = fs_pg_each_row(&w->db.pg, list, params, page_row, &p, &req->err);
	fs_text_add(&p.body, "]", 1);
	if (p.body.failed && rc == FS_OK)
		rc = fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
	/* Filters are checked already; a value PostgreSQL refuses came in the cursor. */
	if (rc == ERR_INVALID_FORMAT && q->after_key)
		fs_error_set(&req->err, ERR_INVALID_PARAMETER, "after", "after is not a valid cursor");
	if (rc == FS_OK) {
		fs_response_take(req, 200, p.body.p, p.body.len);
		p.body.p = NULL;
		if (p.more)
			link_next(req, q, p.cursor);
	}
	free(p.body.p);
	free(p.cursor);
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
