/* http.c - routes requests, checks the session and the GET /events parameters, answers JSON. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/queue.h>
#include <sys/socket.h>
#include <netdb.h>

#include <sodium.h>

#include <event2/keyvalq_struct.h>

#include "fs_error.h"
#include "http.h"
#include "log.h"
#include "sse.h"

#define REQUEST_TIMEOUT 10	/* seconds to receive a request (a stream then has none) */
#define MAX_HEADERS 16384	/* bytes of request line and headers */
#define ALLOW "GET, OPTIONS"	/* the methods served under /events */

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
 * its status; a 503 says when to come back (retry_after of the config), a 401 names the
 * scheme (WWW-Authenticate: Bearer), as the API does. Clears ERR.
 */
static void
reply_error(struct relay *r, struct evhttp_request *req, struct fs_error *err)
{
	char *body = fs_error_json(err), after[16];
	int status = fs_error_status(err->code);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (status == 503 || status == 429) {
		snprintf(after, sizeof(after), "%d", r->cfg->retry_after);
		evhttp_add_header(h, "Retry-After", after);
	} else if (status == 401) {
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
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
 * against the tables KNOWN the change log tracks. FS_OK, or the code set in ERR (a 400).
 * Q->filter is the caller's to release either way.
 */
static enum fs_err
parse_events(struct evhttp_request *req, const char *query, const struct fs_tables *known,
    struct sse_request *q, struct fs_error *err)
{
	struct evkeyvalq kv;
	const char *since = NULL, *types = NULL, *branch = NULL, *last;

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
 * into Q (Q may be NULL: only checked). Without a valid session, ERR_UNAUTHENTICATED:
 * there is no anonymous stream.
 */
static enum fs_err
identify(struct relay *r, struct evhttp_request *req, struct sse_request *q, struct fs_error *err)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(h, "Authorization");
	const char *cookie = evhttp_find_header(h, "Cookie"), *t = NULL;
	char token[FS_TOKEN_LEN + 1];
	unsigned char hash[FS_TOKEN_HASH_LEN];
	const struct fs_user *u;
	size_t n;

	if (auth)
		t = strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : "";
	else if (cookie && (t = strstr(cookie, FS_COOKIE "=")) != NULL)
		t += strlen(FS_COOKIE "=");
	if (!t)
		return fs_error_set(err, ERR_UNAUTHENTICATED, NULL, "the event stream needs a session:"
		    " sign in (POST /api/session) and send its token (Authorization: Bearer) or cookie");
	if ((n = strcspn(t, "; ")) != FS_TOKEN_LEN)
		return fs_error_set(err, ERR_UNAUTHENTICATED, NULL, "the session token is malformed");
	memcpy(token, t, n);
	token[n] = '\0';
	fs_auth_token_hash(token, hash);
	sodium_memzero(token, sizeof(token));
	if (fs_auth_lookup(&r->db.auth, hash, &u, err) != FS_OK || !q)
		return err->code;
	if (scope_init(&q->scope, u, err) != FS_OK)
		return err->code;
	memcpy(q->hash, hash, sizeof(q->hash));
	sse_rights_digest(u, q->rights);
	q->expires = sse_parse_instant(u->expires_at);
	return FS_OK;
}

/* Whether TEXT looks like an IPv4 or IPv6 address (what nginx's $remote_addr holds). */
static bool
is_address(const char *text)
{
	size_t n = strlen(text);

	return n > 0 && n < sizeof(((struct sse_request *)NULL)->addr)
	    && strspn(text, "0123456789abcdefABCDEF.:") == n;
}

/*
 * The client address of REQ into OUT (SIZE bytes), for the per-address limit. A TCP client
 * is its peer address: a header it sends is never believed. On a unix socket the client is
 * the proxy in front (nginx): the X-Real-IP it sets is the address, "local" without one.
 */
static void
client_address(struct evhttp_request *req, char *out, size_t size)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
	const char *real = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Real-IP");
	char host[NI_MAXHOST];

	if (!sa || sa->sa_family == AF_UNIX) {
		snprintf(out, size, "%s", real && is_address(real) ? real : "local");
		return;
	}
	if (getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
	    host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(host, sizeof(host), "unknown");
	/* A numeric address always fits OUT (INET6_ADDRSTRLEN); say so if one ever did not. */
	if (snprintf(out, size, "%s", host) >= (int)size)
		snprintf(out, size, "unknown");
}

/*
 * Whether Q's client (its address and its user) may open one more stream: FS_OK, or
 * ERR_STREAM_LIMIT (429 too_many_streams) set in ERR. Only open streams count.
 */
static enum fs_err
check_limits(const struct relay *r, const struct sse_request *q, struct fs_error *err)
{
	int by_addr, by_user;

	sse_count(r, q->addr, q->scope.user.id, &by_addr, &by_user);
	if (by_addr >= r->cfg->max_streams_per_address)
		return fs_error_set(err, ERR_STREAM_LIMIT, NULL, "this address has %d event streams open"
		    " already, the most allowed: close one, or try again later", by_addr);
	if (by_user >= r->cfg->max_streams_per_user)
		return fs_error_set(err, ERR_STREAM_LIMIT, NULL, "this user has %d event streams open"
		    " already, the most allowed: close one, or try again later", by_user);
	return FS_OK;
}

/*
 * GET /events: a stream, or a JSON error before it starts: 401 without a session (checked
 * first: nothing is said to a stranger), 400 for the parameters, 403 for what the user may
 * not read (scope.h), 503 while the database (the tables, the head) is not known or every
 * stream is taken (max_clients), 429 when the address or the user has its most open.
 */
static void
serve_events(struct relay *r, struct evhttp_request *req, const char *query)
{
	struct fs_error err = FS_ERROR_INIT;
	const struct fs_tables *known = NULL;
	struct sse_request q;

	memset(&q, 0, sizeof(q));
	q.filter.types.all = 1;
	client_address(req, q.addr, sizeof(q.addr));
	/* Where revocation is followed from must be known before a stream opens. */
	if (r->auth_seq < 0)
		sse_follow_auth(r);
	if (identify(r, req, &q, &err) != FS_OK || fs_changelog_tables(&r->db.log, &known, &err) != FS_OK
	    || parse_events(req, query, known, &q, &err) != FS_OK
	    || scope_check(&q.scope, &q.filter, known, &err) != FS_OK)
		reply_error(r, req, &err);
	else if (r->auth_seq < 0)
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
	else if (r->head < 0)
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
	else if (r->nstreams >= r->cfg->max_clients)
		reply_code(r, req, ERR_TOO_MANY_STREAMS, "too many event streams; try again shortly");
	else if (check_limits(r, &q, &err) != FS_OK)
		reply_error(r, req, &err);
	else if (sse_open(r, req, &q) < 0)
		reply_code(r, req, ERR_INTERNAL, "the relay is out of memory");
	filter_release(&q.filter);
	scope_release(&q.scope);
}

/* Another path under /events: 401 without a session, as for the stream, else 404. */
static void
serve_other(struct relay *r, struct evhttp_request *req)
{
	struct fs_error err = FS_ERROR_INIT;

	if (identify(r, req, NULL, &err) == FS_OK)
		fs_error_set(&err, ERR_NOT_FOUND, NULL, "no such resource");
	reply_error(r, req, &err);
}

/*
 * OPTIONS: the CORS preflight of a stream read with fetch (an EventSource sends none), as
 * the API answers it: 204 for an allowed origin, else 403 origin_not_allowed.
 */
static void
serve_preflight(struct relay *r, struct evhttp_request *req, const char *origin)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (origin && !fs_config_origin_allowed(r->cfg, origin)) {
		reply_code(r, req, ERR_ORIGIN_NOT_ALLOWED, "this origin is not allowed");
		return;
	}
	evhttp_add_header(out, "Allow", ALLOW);
	evhttp_add_header(out, "Access-Control-Allow-Methods", ALLOW);
	evhttp_add_header(out, "Access-Control-Allow-Headers", "Authorization, Last-Event-ID");
	evhttp_add_header(out, "Access-Control-Max-Age", "600");
	evhttp_send_reply(req, 204, "No Content", NULL);
}

/*
 * GET /events/health: {"head":N,"clients":M,"ring":K,"ring_bytes":B,"catchup_pages":P} (B:
 * what the ring's K events take in memory; P: catch-up pages read from the change log so
 * far), or 503 until the head is known.
 */
static void
serve_health(struct relay *r, struct evhttp_request *req)
{
	char body[200];

	if (r->head < 0) {
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
		return;
	}
	snprintf(body, sizeof(body), "{\"head\":%" PRId64 ",\"clients\":%d,\"ring\":%zu,\"ring_bytes\":%zu,"
	    "\"catchup_pages\":%ld}\n", r->head, r->nstreams, r->ring.count, r->ring.bytes, r->pages.reads);
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

/*
 * Every request: route by path; under /events, OPTIONS is the preflight, GET the rest, and
 * every path but /events/health needs a session.
 */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct relay *r = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	bool ours;

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
	ours = path && strncmp(path, "/events", 7) == 0 && (path[7] == '\0' || path[7] == '/');
	if (!ours) {
		reply_code(r, req, ERR_NOT_FOUND, "no such resource");
	} else if (evhttp_request_get_command(req) == EVHTTP_REQ_OPTIONS) {
		serve_preflight(r, req, origin);
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(out, "Allow", ALLOW);
		reply_code(r, req, ERR_METHOD_NOT_ALLOWED, "only GET is allowed here");
	} else if (strcmp(path, "/events") == 0) {
		serve_events(r, req, evhttp_uri_get_query(uri));
	} else if (strcmp(path, "/events/health") == 0) {
		serve_health(r, req);
	} else {
		serve_other(r, req);
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
