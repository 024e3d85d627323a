/* http.c - routes requests, checks the session and the GET /events parameters, answers JSON. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sys/queue.h>
#include <sys/socket.h>
#include <netdb.h>

#include <sodium.h>

#include <event2/keyvalq_struct.h>

#include "fs_error.h"
#include "http.h"
#include "log.h"
#include "source.h"
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
 * The hash of the session token REQ offers (Authorization: Bearer, else the session
 * cookie) into HASH: FS_OK, or ERR_UNAUTHENTICATED without a well-formed one: there is no
 * anonymous stream. Whether the session is valid is the database's to say (on_looked_up).
 */
static enum fs_err
token_hash(struct evhttp_request *req, unsigned char *hash, struct fs_error *err)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(h, "Authorization");
	const char *cookie = evhttp_find_header(h, "Cookie"), *t = NULL;
	char token[FS_TOKEN_LEN + 1];
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
 * A request under /events waiting for the database: its session's lookup, then, for a
 * stream resuming from behind the ring, the pruning horizon. The client may leave
 * meanwhile (on_gone frees it then, and no answer reaches it).
 */
struct opening {
	struct opening *prev, *next;
	struct relay *r;
	struct evhttp_request *req;
	struct sse_request q;
	char *query;			/* GET /events' query string, owned; NULL: none */
	bool stream;			/* GET /events itself; else another path: 401 or 404 */
	bool asked;			/* a statement of its own waits in the backlog's queue */
	unsigned char hash[FS_TOKEN_HASH_LEN];
};

/* Unlinks O and frees what it holds but its request. */
static void
opening_free(struct opening *o)
{
	struct relay *r = o->r;

	if (o->prev)
		o->prev->next = o->next;
	else
		r->openings = o->next;
	if (o->next)
		o->next->prev = o->prev;
	r->nopenings--;
	trim_soon(&r->trim);	/* its session lookup's memory, and a burst's, goes back */
	if (o->asked)	/* only then: cancelling walks the queue, thousands deep in a burst */
		backlog_cancel(&r->db, o);
	filter_release(&o->q.filter);
	scope_release(&o->q.scope);
	free(o->query);
	free(o);
}

/* The client of opening ARG went away before it was answered (see sse.c's on_close). */
static void
on_gone(struct evhttp_connection *evcon, void *arg)
{
	struct opening *o = arg;

	(void)evcon;
	if (!evhttp_request_get_connection(o->req))
		evhttp_request_free(o->req);
	opening_free(o);
}

/* O is answered now: its request is no longer watched for the client leaving. */
static struct evhttp_request *
opening_answer(struct opening *o)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(o->req);

	if (evcon)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	return o->req;
}

/* Answers O with ERR and frees it. */
static void
opening_fail(struct opening *o, struct fs_error *err)
{
	reply_error(o->r, opening_answer(o), err);
	opening_free(o);
}

/* Answers O with CODE and MESSAGE and frees it. */
static void
opening_refuse(struct opening *o, enum fs_err code, const char *message)
{
	reply_code(o->r, opening_answer(o), code, message);
	opening_free(o);
}

/*
 * The stream of O starts, unless what holds now says no: 503 while the database (the
 * head, where revocation is followed from) is not known or every stream is taken
 * (max_clients), 429 when the address or the user has its most open.
 */
static void
open_stream(struct opening *o)
{
	struct relay *r = o->r;
	struct fs_error err = FS_ERROR_INIT;

	if (r->auth_seq < 0 || r->head < 0)
		opening_refuse(o, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
	else if (r->nstreams >= r->cfg->max_clients)
		opening_refuse(o, ERR_TOO_MANY_STREAMS, "too many event streams; try again shortly");
	else if (check_limits(r, &o->q, &err) != FS_OK)
		opening_fail(o, &err);
	else if (sse_open(r, opening_answer(o), &o->q) < 0)
		opening_refuse(o, ERR_INTERNAL, "the relay is out of memory");
	else
		opening_free(o);	/* the stream owns the request, its filter and scope */
}

/* The pruning horizon for O's cursor came (NULL: the database cannot say). */
static void
on_horizon(void *arg, PGresult *res)
{
	struct opening *o = arg;
	struct fs_error err = FS_ERROR_INIT;

	o->asked = false;
	if (!res || fs_changelog_number(res, &o->q.pruned, &err) != FS_OK) {
		fs_error_clear(&err);
		opening_refuse(o, ERR_DATABASE_UNAVAILABLE, "the change log cannot be read now; try again shortly");
		return;
	}
	o->q.horizon_known = 1;
	open_stream(o);
}

/*
 * The session of O came: 401 without a valid one (checked first: nothing is said to a
 * stranger), 404 for a path that is not the stream, then 400 for the parameters and 403
 * for what the user may not read (scope.h).
 */
static void
on_looked_up(void *arg, PGresult *res)
{
	struct opening *o = arg;
	struct relay *r = o->r;
	struct fs_error err = FS_ERROR_INIT;
	struct fs_user u = { .m = NULL };
	enum fs_err rc;

	o->asked = false;
	if (!res) {
		opening_refuse(o, ERR_DATABASE_UNAVAILABLE, "the database is unavailable; try again shortly");
		return;
	}
	rc = fs_auth_lookup_user(res, &u, &err);
	if (rc == FS_OK && !o->stream)
		rc = fs_error_set(&err, ERR_NOT_FOUND, NULL, "no such resource");
	if (rc == FS_OK && (rc = scope_init(&o->q.scope, &u, &err)) == FS_OK) {
		memcpy(o->q.hash, o->hash, sizeof(o->q.hash));
		sse_rights_digest(&u, o->q.rights);
		o->q.expires = sse_parse_instant(u.expires_at);
	}
	free(u.m);
	if (rc == FS_OK && !backlog_tables_known(&r->db))
		rc = fs_error_set(&err, ERR_DATABASE_UNAVAILABLE, NULL, "the relay has not reached the database yet");
	if (rc == FS_OK && parse_events(o->req, o->query, backlog_tables(&r->db), &o->q, &err) == FS_OK)
		rc = scope_check(&o->q.scope, &o->q.filter, backlog_tables(&r->db), &err);
	else
		rc = err.code;
	if (rc != FS_OK)
		opening_fail(o, &err);
	else if (!sse_needs_horizon(r, &o->q))
		open_stream(o);
	else if (backlog_horizon(&r->db, on_horizon, o) < 0)
		opening_refuse(o, ERR_DATABASE_UNAVAILABLE, "the relay is busy; try again shortly");
	else
		o->asked = true;
}

/*
 * GET /events (STREAM) or another path under it: a request without a token is answered at
 * once (401); one with a token waits for the database (struct opening). Those waiting
 * count against max_clients with the open streams, so the wait is bounded too.
 */
static void
serve_events(struct relay *r, struct evhttp_request *req, const char *query, bool stream)
{
	struct fs_error err = FS_ERROR_INIT;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	unsigned char hash[FS_TOKEN_HASH_LEN];
	struct opening *o = NULL;

	if (token_hash(req, hash, &err) != FS_OK) {
		reply_error(r, req, &err);
		return;
	}
	if (r->nstreams + r->nopenings >= r->cfg->max_clients) {
		reply_code(r, req, ERR_TOO_MANY_STREAMS, "too many event streams; try again shortly");
		return;
	}
	if (!evcon || !(o = calloc(1, sizeof(*o))) || (query && !(o->query = strdup(query)))) {
		free(o);
		reply_code(r, req, ERR_INTERNAL, "the relay is out of memory");
		return;
	}
	o->r = r;
	o->req = req;
	o->stream = stream;
	o->q.filter.types.all = 1;
	memcpy(o->hash, hash, sizeof(hash));
	client_address(req, o->q.addr, sizeof(o->q.addr));
	o->next = r->openings;
	if (r->openings)
		r->openings->prev = o;
	r->openings = o;
	r->nopenings++;
	/* Queued first, so answered first: what the stream needs known before it opens. */
	if (r->auth_seq < 0)
		sse_follow_auth(r);
	if (r->head < 0)
		source_poll(r);
	backlog_refresh_tables(&r->db);
	if (backlog_lookup(&r->db, o->hash, on_looked_up, o) < 0) {
		opening_refuse(o, ERR_DATABASE_UNAVAILABLE, "the relay is busy; try again shortly");
		return;
	}
	o->asked = true;
	evhttp_connection_set_closecb(evcon, on_gone, o);
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
 * GET /events/health: {"head":N,"clients":M,"ring":K,"ring_bytes":B,"catchup_pages":P,
 * "database":"ok"|"unavailable","waiting":W} (B: what the ring's K events take in memory;
 * P: catch-up pages read from the change log so far; database: whether the delivery lane
 * had an answer within the last three polls; W: statements queued in every lane), or 503
 * until the head is known. The relay itself is up whenever this answers.
 */
static void
serve_health(struct relay *r, struct evhttp_request *req)
{
	struct timespec now;
	time_t recent = 3 * (r->cfg->poll_interval / 1000 + 1);
	char body[300];

	if (r->head < 0) {
		reply_code(r, req, ERR_DATABASE_UNAVAILABLE, "the relay has not reached the database yet");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(body, sizeof(body), "{\"head\":%" PRId64 ",\"clients\":%d,\"ring\":%zu,\"ring_bytes\":%zu,"
	    "\"catchup_pages\":%ld,\"database\":\"%s\",\"waiting\":%zu}\n", r->head, r->nstreams, r->ring.count,
	    r->ring.bytes, r->pages.reads,
	    now.tv_sec - r->db.lane[LANE_LIVE].q.answered_at <= recent ? "ok" : "unavailable",
	    backlog_waiting(&r->db));
	reply_json(req, 200, body);
}

/*
 * GET /events/metrics: the relay's figures in Prometheus' text format, only for the client
 * addresses of [metrics] allow (403 for others): streams open and waiting for their
 * session, events taken in and delivered, the ring, catch-up pages, statements waiting,
 * the auth_changes seq read (not on the open health: it says how often rights change).
 */
static void
serve_metrics(struct relay *r, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *buf;
	char addr[64];

	client_address(req, addr, sizeof(addr));
	if (!fs_config_metrics_allowed(r->cfg, addr)) {
		reply_code(r, req, ERR_FORBIDDEN, "metrics are shown only to the addresses of [metrics] allow");
		return;
	}
	if (!(buf = evbuffer_new()) || evbuffer_add_printf(buf,
	    "# HELP fieldsync_relay_streams Event streams open.\n# TYPE fieldsync_relay_streams gauge\n"
	    "fieldsync_relay_streams %d\n"
	    "# HELP fieldsync_relay_streams_opening Streams waiting for their session's lookup.\n"
	    "# TYPE fieldsync_relay_streams_opening gauge\nfieldsync_relay_streams_opening %d\n"
	    "# HELP fieldsync_relay_events_total Events taken in, from the change log or the workers' messages.\n"
	    "# TYPE fieldsync_relay_events_total counter\nfieldsync_relay_events_total %llu\n"
	    "# HELP fieldsync_relay_events_live_total Events delivered from the workers' messages, not read from the log.\n"
	    "# TYPE fieldsync_relay_events_live_total counter\nfieldsync_relay_events_live_total %llu\n"
	    "# HELP fieldsync_relay_events_delivered_total Events queued to streams (one per stream).\n"
	    "# TYPE fieldsync_relay_events_delivered_total counter\nfieldsync_relay_events_delivered_total %llu\n"
	    "# HELP fieldsync_relay_ring_events Events held in the ring.\n# TYPE fieldsync_relay_ring_events gauge\n"
	    "fieldsync_relay_ring_events %zu\n"
	    "# HELP fieldsync_relay_ring_bytes Memory the ring's events take.\n# TYPE fieldsync_relay_ring_bytes gauge\n"
	    "fieldsync_relay_ring_bytes %zu\n"
	    "# HELP fieldsync_relay_catchup_pages_total Catch-up pages read from the change log.\n"
	    "# TYPE fieldsync_relay_catchup_pages_total counter\nfieldsync_relay_catchup_pages_total %ld\n"
	    "# HELP fieldsync_relay_statements_waiting Database statements queued, every lane.\n"
	    "# TYPE fieldsync_relay_statements_waiting gauge\nfieldsync_relay_statements_waiting %zu\n"
	    "# HELP fieldsync_relay_head The newest change log seq delivered.\n# TYPE fieldsync_relay_head gauge\n"
	    "fieldsync_relay_head %lld\n"
	    "# HELP fieldsync_relay_auth_seq The newest auth_changes seq read (-1 until known).\n"
	    "# TYPE fieldsync_relay_auth_seq gauge\nfieldsync_relay_auth_seq %lld\n", r->nstreams, r->nopenings, r->events_in, r->events_live, r->events_out,
	    r->ring.count, r->ring.bytes, r->pages.reads, backlog_waiting(&r->db), (long long)r->head, (long long)r->auth_seq) < 0
	    || evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8") < 0
	    || evhttp_add_header(h, "Cache-Control", "no-store") < 0) {
		if (buf)
			evbuffer_free(buf);
		reply_code(r, req, ERR_INTERNAL, "the relay is out of memory");
		return;
	}
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
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
 * every path but /events/health and /events/metrics (address-limited) needs a session.
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
		serve_events(r, req, evhttp_uri_get_query(uri), true);
	} else if (strcmp(path, "/events/health") == 0) {
		serve_health(r, req);
	} else if (strcmp(path, "/events/metrics") == 0) {
		serve_metrics(r, req);
	} else {
		serve_events(r, req, NULL, false);
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
	return http_accept(r, fd);
}

int
http_accept(struct relay *r, int fd)
{
	if (!evhttp_accept_socket_with_handle(r->http, fd)) {
		relay_log("cannot accept on the listening socket");
		close(fd);
		return -1;
	}
	return 0;
}

void
http_close(struct relay *r)
{
	if (r->http)
		evhttp_free(r->http);	/* closes every connection: streams and openings go */
	r->http = NULL;
	for (struct opening *o = r->openings, *next; o; o = next) {
		next = o->next;
		opening_free(o);
	}
}
