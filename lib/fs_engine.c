/* fs_engine.c - dispatch, the front line of checks, reads and the write transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs_changes.h"
#include "fs_engine.h"
#include "fs_idempotency.h"
#include "fs_query.h"
#include "fs_validate.h"
#include "fs_write.h"

int
fs_engine_init(struct fs_engine *e, const struct fs_resource *res, const struct fs_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->res = res;
	e->cfg = cfg;
	if (fs_sql_build(res, &e->sql) < 0)
		return -1;
	fs_db_init(&e->db, cfg, res, &e->sql);
	/* Without a publisher the change log still holds every change: carry on. */
	fs_events_open(&e->events, res->feed ? NULL : cfg->publish);
	return 0;
}

void
fs_engine_release(struct fs_engine *e)
{
	fs_events_close(&e->events);
	fs_db_close(&e->db);
	fs_sql_release(&e->sql);
}

/* OPTIONS: a CORS preflight for an allowed origin, else a plain answer or a refusal. */
static void
preflight(struct fs_request *req, struct fs_error *err)
{
	if (req->origin && !fs_config_origin_allowed(req->cfg, req->origin)) {
		fs_error_set(err, ERR_ORIGIN_NOT_ALLOWED, NULL, "origin %.80s is not allowed", req->origin);
		fs_respond_error(req, err);
		return;
	}
	fs_respond(req, 204,
	    "Allow: " FS_ALLOW "\r\n"
	    "Access-Control-Allow-Methods: " FS_ALLOW "\r\n"
	    "Access-Control-Allow-Headers: Content-Type, If-Match, Idempotency-Key, Last-Event-ID\r\n"
	    "Access-Control-Max-Age: 600\r\n", NULL, 0);
}

/* GET ?id=: one row with its version as ETag. */
static void
get_one(struct fs_engine *e, struct fs_request *req, const char *id, struct fs_error *err)
{
	const char *params[] = { id };
	PGresult *r = fs_db_exec(&e->db, STMT_GET, params, 0, err);
	char etag[64];

	if (!r) {
		fs_respond_error(req, err);
		return;
	}
	if (PQntuples(r) == 0) {
		fs_error_set(err, ERR_NOT_FOUND, "id", "no %s with id %s", e->res->path, id);
		fs_respond_error(req, err);
	} else {
		snprintf(etag, sizeof(etag), "ETag: \"%s\"\r\n", PQgetvalue(r, 0, 1));
		fs_respond(req, 200, etag, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	}
	PQclear(r);
}

/* The Link header to the page after CURSOR, into a malloc'd string (NULL on failure). */
static char *
next_link(const struct fs_request *req, const struct fs_query *q, const char *cursor)
{
	char *query = fs_query_next(q, cursor), *link = NULL;

	if (query && asprintf(&link, "Link: <%s?%s>; rel=\"next\"\r\n", req->path, query) < 0)
		link = NULL;
	free(query);
	return link;
}

/* GET: one page of the list, its JSON made by PostgreSQL and passed through. */
static void
get_list(struct fs_engine *e, struct fs_request *req, const struct fs_query *q,
    struct fs_error *err)
{
	const char *params[3 + FS_MAX_FILTERS + 1] = { NULL };
	char limit[16];
	int n = fs_query_nfilters(e->res);
	PGresult *r;
	char *link = NULL;

	snprintf(limit, sizeof(limit), "%d", q->limit);
	params[0] = limit;
	params[1] = q->after_key;
	params[2] = q->after_id;
	for (int i = 0; i < n; i++)
		params[3 + i] = q->values[i];
	r = fs_db_exec(&e->db, STMT_LIST, params, 0, err);
	if (!r) {
		/* Filters are checked already; a value PostgreSQL refuses came in the cursor. */
		if (err->code == ERR_INVALID_FORMAT && q->after_key)
			fs_error_set(err, ERR_INVALID_PARAMETER, "after", "after is not a valid cursor");
		fs_respond_error(req, err);
		return;
	}
	if (!PQgetisnull(r, 0, 1))
		link = next_link(req, q, PQgetvalue(r, 0, 1));
	fs_respond(req, 200, link, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	free(link);
	PQclear(r);
}

/* GET and HEAD. */
static void
handle_read(struct fs_engine *e, struct fs_request *req, struct fs_error *err)
{
	struct fs_query q;

	if (fs_query_parse(e->res, req->query, FS_QUERY_ID | FS_QUERY_LIST, e->cfg->page_default,
	    e->cfg->page_max, &q, err) != FS_OK)
		fs_respond_error(req, err);
	else if (q.id)
		get_one(e, req, q.id, err);
	else
		get_list(e, req, &q, err);
	fs_query_release(&q);
}

/* Whether the request declares a JSON body (charset, if given, must be UTF-8). */
static int
is_json(const char *type)
{
	const char *p, *cs;

	if (!type || strncasecmp(type, "application/json", 16) != 0)
		return 0;
	p = type + 16;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	cs = strcasestr(p, "charset=");
	return !cs || strncasecmp(cs + 8, "utf-8", 5) == 0 || strncasecmp(cs + 8, "\"utf-8\"", 7) == 0;
}

/* The front line for POST and PUT: query, content type, size, JSON syntax. */
static cJSON *
read_json_body(struct fs_engine *e, struct fs_request *req, struct fs_error *err)
{
	struct fs_query q;
	enum fs_code rc = fs_query_parse(e->res, req->query, 0, 1, 1, &q, err);

	fs_query_release(&q);
	if (rc != FS_OK)
		return NULL;
	if (!is_json(req->content_type)) {
		fs_error_set(err, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
		    "send the body as Content-Type: application/json");
		return NULL;
	}
	if (fs_request_read_body(req, err) != FS_OK)
		return NULL;
	return fs_json_parse(req->body, req->body_len, err);
}

/* POST, PUT and DELETE: checks before SQL, then the transaction. */
static void
handle_write(struct fs_engine *e, struct fs_request *req, struct fs_error *err)
{
	struct fs_write w = { .method = req->method };
	struct fs_query q = { 0 };

	if (req->method == M_DELETE) {
		if (fs_query_parse(e->res, req->query, FS_QUERY_ID, 1, 1, &q, err) == FS_OK && !q.id)
			fs_error_set(err, ERR_MISSING_ID, "id", "DELETE needs ?id=");
		w.id = q.id;
	} else if ((w.tree = read_json_body(e, req, err)) != NULL) {
		fs_write_check(e->res, req, &w, err);
	}
	if (err->code == FS_OK)
		fs_write_run(e, req, &w, err);
	if (err->code != FS_OK)
		fs_respond_error(req, err);
	fs_write_release(&w);
	fs_query_release(&q);
}

void
fs_engine_handle(struct fs_engine *e, struct fs_request *req)
{
	struct fs_error err = FS_ERROR_INIT;

	if (e->res->feed && req->method != M_GET && req->method != M_HEAD && req->method != M_OPTIONS) {
		fs_error_set(&err, ERR_METHOD_NOT_ALLOWED, NULL, "the changes feed is read-only");
		fs_respond_error(req, &err);
		return;
	}
	switch (req->method) {
	case M_OPTIONS:
		preflight(req, &err);
		break;
	case M_GET:
	case M_HEAD:
		if (e->res->feed)
			fs_changes_handle(e, req, &err);
		else
			handle_read(e, req, &err);
		break;
	case M_POST:
	case M_PUT:
	case M_DELETE:
		handle_write(e, req, &err);
		break;
	default:
		fs_error_set(&err, ERR_METHOD_NOT_ALLOWED, NULL, "use one of " FS_ALLOW);
		fs_respond_error(req, &err);
		break;
	}
	fs_error_clear(&err);
}
