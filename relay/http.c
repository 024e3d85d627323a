/* http.c - routes requests, checks GET /events parameters, answers JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/queue.h>

#include <sodium.h>

#include <event2/keyvalq_struct.h>

#include "fs_error.h"
#include "http.h"
#include "log.h"
#include "sse.h"

#define REQUEST_TIMEOUT 10	/* seconds to receive a request (a stream then has none) */
#define MAX_HEADERS 16384	/* bytes of request line and headers */

/* Answers REQ with STATUS and the JSON BODY (no caching). */
static void
reply_json(struct evhttp_request *req, int status, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	if (!buf || evbuffer_add(buf, body, strlen(body)) < 0 ||
	    evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8") < 0 ||
	    evhttp_add_header(h, "Cache-Control", "no-store") < 0) {
		relay_log("out of memory answering a request");
		evhttp_send_error(req, 500, NULL);
	} else {
		evhttp_send_reply(req, status, NULL, buf);
	}
	if (buf)
		evbuffer_free(buf);
}

/*
 * Answers REQ with ERR in the API's shape, {"error":{"status","code","message",...}}, and
 * its status; a 503 says when to come back (retry_after of the config). Clears ERR.
 */
static void
reply_error(struct relay *r, struct evhttp_request *req, struct fs_error *err)
{
	char *body = fs_error_json(err), after[16];
	int status = fs_error_status(err->code);

	if (status == 503) {
		snprintf(after, sizeof(after), "%d", r->cfg->retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", after);
	}
	if (body)
		reply_json(req, status, body);
	else
		evhttp_send_error(req, 500, NULL);
	free(body);
	fs_error_clear(err);
}

/* Sets ERR to CODE with MESSAGE and answers REQ with it. */
static void
reply_code(struct relay *r, struct evhttp_request *req, enum fs_err code, const char *message)
{
	struct fs_error err = FS_ERROR_INIT;

	fs_error_set(&err, code, NULL, "%s", message);
	reply_error(r, req, &err);
}

/* Whether S is a resume point: 1 to 18 decimal digits (so it fits an int64_t). */
static int
parse_cursor(const char *s, int64_t *out)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 18 || s[n])
		return 0;
	*out = strtoll(s, NULL, 10);
	return 1;
}

/*
 * Reads the query QUERY and the Last-Event-ID header of REQ into Q, checking types=
 * against the tables the change log tracks. FS_OK, or the code set in ERR (a 400, or 503
 * when the tables cannot be known). Q->filter is the caller's to release either way.
 */
static enum fs_err
parse_events(struct relay *r, struct evhttp_request *req, const char *query, struct sse_request *q,
    struct fs_error *err)
{
	struct evkeyvalq kv;
	const char *since = NULL, *types = NULL, *branch = NULL, *last;
	const struct fs_tables *known = NULL;

	memset(q, 0, sizeof(*q));
	q->filter.types.all = 1;
	TAILQ_INIT(&kv);
	if (query && evhttp_parse_query_str(query, &kv) < 0)
		return fs_error_set(err, ERR_INVALID_PARAMETER, NULL, "the query string is malformed");
	for (const struct evkeyval *e = kv.tqh_first; e && !err->code; e = e->next.tqe_next) {
		const char **slot = strcmp(e->key, "since") == 0 ? &since :
		    strcmp(e->key, "types") == 0 ? &types :
		    strcmp(e->key, "branch") == 0 ? &branch : NULL;

		if (!slot)
			fs_error_set(err, ERR_UNKNOWN_PARAMETER, e->key,
			    "GET /events takes only since, types and branch");
		else if (*slot)
			fs_error_set(err, ERR_INVALID_PARAMETER, e->key, "%s is repeated", e->key);
		else
			*slot = e->value;
	}
	if (!err->code && types)
		fs_changelog_tables(&r->db.log, &known, err);
	if (!err->code)
		filter_init(&q->filter, types, branch, known, err);
	last = evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
	if (!last || !*last)
		last = since;
	q->has_cursor = last != NULL;
	q->cursor_ok = last && parse_cursor(last, &q->cursor);
	evhttp_clear_headers(&kv);
	return err->code;
}

/*
 * The session REQ offers (Authorization: Bearer, else the session cookie), looked up fresh,
 * into Q. No credentials: an anonymous stream (for now; access control closes that next).
 * Credentials that are not a valid session are refused, never taken as anonymous.
 */
static enum fs_err
identify(struct relay *r, struct evhttp_request *req, struct sse_request *q, struct fs_error *err)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(h, "Authorization");
	const char *cookie = evhttp_find_header(h, "Cookie"), *t = NULL;
	char token[FS_TOKEN_LEN + 1];
	const struct fs_user *u;
	size_t n;

	if (auth)
		t = strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : "";
	else if (cookie && (t = strstr(cookie, FS_COOKIE "=")) != NULL)
		t += strlen(FS_COOKIE "=");
	if (!t)
		return FS_OK;
	if ((n = strcspn(t, "; ")) != FS_TOKEN_LEN)
		return fs_error_set(err, ERR_UNAUTHENTICATED, NULL, "the session token is malformed");
	memcpy(token, t, n);
	token[n] = '\0';
	fs_auth_token_hash(token, q->hash);
	sodium_memzero(token, sizeof(token));
	if (fs_auth_lookup(&r->db.auth, q->hash, &u, err) != FS_OK)
		return err->code;
	q->signed_in = 1;
	snprintf(q->user_id, sizeof(q->user_id), "%s", u->id);
	sse_rights_digest(u, q->rights);
	q->expires = sse_parse_instant(u->expires_at);
	return FS_OK;
}

/* GET /events: a stream, or a JSON error before it starts. */
static void
serve_events(struct relay *r, struct evhttp_request *req, const char *query)
{
	struct fs_error err = FS_ERROR_INIT;
	struct sse_request q;

	/* Where revocation is followed from must be known before a signed-in stream opens. */
	if (r->auth_seq < 0)
		sse_follow_auth(r);
	if (parse_events(r, req, query, &q, &err) != FS_OK || identify(r, req, &q, &err) != FS_OK)
		reply_error(r, req, &err);
	else if (q.signed_in && r->auth_seq < 0)
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
	else if (r->head < 0)
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
	else if (r->nstreams >= r->cfg->max_clients)
		reply_code(r, req, ERR_TOO_MANY_STREAMS, "too many event streams; try again shortly");
	else if (sse_open(r, req, &q) < 0)
		reply_code(r, req, ERR_INTERNAL, "the relay is out of memory");
	filter_release(&q.filter);
}

/* GET /events/health: {"head":N,"clients":M,"ring":K}, or 503 until the head is known. */
static void
serve_health(struct relay *r, struct evhttp_request *req)
{
	char body[160];

	if (r->head < 0) {
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
		return;
	}
	snprintf(body, sizeof(body), "{\"head\":%" PRId64 ",\"clients\":%d,\"ring\":%zu}\n", r->head,
	    r->nstreams, r->ring.count);
	reply_json(req, 200, body);
}

/*
 * libevent met an error on a request it had handed over (its URI is gone): a stream's
 * connection broke (drop it), or the request was malformed (answer 400).
 */
static void
on_broken(struct relay *r, struct evhttp_request *req)
{
	if (sse_owns(r, req))
		evhttp_connection_free(evhttp_request_get_connection(req));
	else
		reply_code(r, req, ERR_INVALID_PARAMETER, "the request is malformed or too large");
}

/* Every request: route by path, allow GET only. */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct relay *r = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	int known;

	if (!evhttp_request_get_uri(req)) {
		on_broken(r, req);
		return;
	}
	if (origin && fs_config_origin_allowed(r->cfg, origin)) {
		evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
		evhttp_add_header(out, "Vary", "Origin");
		/* As on the API: the cookie may travel only from an origin named in the list. */
		if (fs_config_origin_named(r->cfg, origin))
			evhttp_add_header(out, "Access-Control-Allow-Credentials", "true");
	}
	known = path && (strcmp(path, "/events") == 0 || strcmp(path, "/events/health") == 0);
	if (!known) {
		reply_code(r, req, ERR_NOT_FOUND, "no such resource");
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(out, "Allow", "GET");
		reply_code(r, req, ERR_METHOD_NOT_ALLOWED, "only GET is allowed here");
	} else if (strcmp(path, "/events") == 0) {
		serve_events(r, req, evhttp_uri_get_query(uri));
	} else {
		serve_health(r, req);
	}
}

int
http_open(struct relay *r, int fd)
{
	r->http = evhttp_new(r->base);
	if (!r->http) {
		relay_log("cannot create the HTTP server");
		return -1;
	}
	evhttp_set_gencb(r->http, on_request, r);
	evhttp_set_timeout(r->http, REQUEST_TIMEOUT);
	evhttp_set_max_headers_size(r->http, MAX_HEADERS);
	evhttp_set_max_body_size(r->http, 65536);	/* a body is refused with 405 as JSON */
	evhttp_set_allowed_methods(r->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	if (!evhttp_accept_socket_with_handle(r->http, fd)) {
		relay_log("cannot accept on the listening socket");
		return -1;
	}
	return 0;
}

void
http_close(struct relay *r)
{
	if (r->http)
		evhttp_free(r->http);
	r->http = NULL;
}
