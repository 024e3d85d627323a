/* http.c - routes requests, checks GET /events parameters, answers JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "filter.h"
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

/* Answers REQ with an error in the API's shape: {"error":{"status","code","message"}}. */
static void
reply_error(struct evhttp_request *req, int status, const char *code, const char *message)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"error\":{\"status\":%d,\"code\":\"%s\",\"message\":\"%s\"}}\n",
	    status, code, message);
	if (status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "2");
	reply_json(req, status, body);
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
 * Reads the query QUERY and the Last-Event-ID header of REQ into Q. Returns NULL, or the
 * error code for a 400 with *WHY its message. Q->filter and Q->branch are the caller's to
 * free either way.
 */
static const char *
parse_events(struct evhttp_request *req, const char *query, struct sse_request *q, const char **why)
{
	struct evkeyvalq kv;
	const char *since = NULL, *types = NULL, *branch = NULL, *code = NULL, *last;
	int malformed = 0;

	memset(q, 0, sizeof(*q));
	TAILQ_INIT(&kv);
	if (query && evhttp_parse_query_str(query, &kv) < 0) {
		*why = "the query string is malformed";
		return "invalid_parameter";
	}
	for (const struct evkeyval *e = kv.tqh_first; e && !code; e = e->next.tqe_next) {
		const char **slot = strcmp(e->key, "since") == 0 ? &since :
		    strcmp(e->key, "types") == 0 ? &types :
		    strcmp(e->key, "branch") == 0 ? &branch : NULL;

		if (!slot) {
			code = "unknown_parameter";
			*why = "GET /events takes only since, types and branch";
		} else if (*slot) {
			code = "invalid_parameter";
			*why = "a parameter is repeated";
		} else {
			*slot = e->value;
		}
	}
	if (!code && types && !(q->filter = filter_parse(types, &malformed))) {
		code = malformed ? "invalid_parameter" : "out_of_memory";
		*why = "types must be a comma-separated list of table:action or table:*";
	}
	if (!code && branch && (!*branch || strlen(branch) > 200)) {
		code = "invalid_parameter";
		*why = "branch must be 1 to 200 bytes";
	} else if (!code && branch && !(q->branch = strdup(branch))) {
		code = "out_of_memory";
		*why = "out of memory";
	}
	last = evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
	if (!last || !*last)
		last = since;
	q->has_cursor = last != NULL;
	q->cursor_ok = last && parse_cursor(last, &q->cursor);
	evhttp_clear_headers(&kv);
	return code;
}

/* GET /events: a stream, or a JSON error before it starts. */
static void
serve_events(struct relay *r, struct evhttp_request *req, const char *query)
{
	struct sse_request q;
	const char *why = NULL, *code = parse_events(req, query, &q, &why);

	if (code) {
		reply_error(req, 400, code, why);
	} else if (r->head < 0) {
		reply_error(req, 503, "database_unavailable", "the relay has not reached the database yet");
	} else if (r->nstreams >= r->cfg->max_clients) {
		reply_error(req, 503, "too_many_streams", "too many event streams; try again shortly");
	} else if (sse_open(r, req, &q) < 0) {
		reply_error(req, 503, "out_of_memory", "the relay is out of memory; try again shortly");
	}
	free(q.filter);
	free(q.branch);
}

/* GET /events/health: {"head":N,"clients":M,"ring":K}, or 503 until the head is known. */
static void
serve_health(struct relay *r, struct evhttp_request *req)
{
	char body[160];

	if (r->head < 0) {
		reply_error(req, 503, "database_unavailable", "the relay has not reached the database yet");
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
		reply_error(req, 400, "bad_request", "the request is malformed or too large");
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
	}
	known = path && (strcmp(path, "/events") == 0 || strcmp(path, "/events/health") == 0);
	if (!known) {
		reply_error(req, 404, "not_found", "no such resource");
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(out, "Allow", "GET");
		reply_error(req, 405, "method_not_allowed", "only GET is allowed here");
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
