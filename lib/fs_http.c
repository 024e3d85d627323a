/* fs_http.c - reading a request and writing its one answer, over FastCGI or CGI. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_http.h"
#include "fs_log.h"

static const char *const method_names[M__MAX] = {
	[M_GET] = "GET", [M_HEAD] = "HEAD", [M_POST] = "POST", [M_PUT] = "PUT",
	[M_DELETE] = "DELETE", [M_OPTIONS] = "OPTIONS", [M_OTHER] = "",
};

const char *
fs_method_name(enum fs_method m)
{
	return m < M__MAX ? method_names[m] : "";
}

const char *
fs_request_param(const struct fs_request *req, const char *name)
{
	if (req->fcgx)
		return FCGX_GetParam(name, req->fcgx->envp);
	return getenv(name);
}

/* The method enum for the name NAME. */
static enum fs_method
method_of(const char *name)
{
	for (int m = 0; m < M_OTHER; m++)
		if (name && strcmp(name, method_names[m]) == 0)
			return (enum fs_method)m;
	return M_OTHER;
}

/* Whether the N bytes at P are a plain URL path (RFC 3986 pchar, '/', percent-encoded bytes). */
static int
is_plain_path(const char *p, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "-._~!$&'()*+,;=:@/%";

	for (size_t i = 0; i < n; i++)
		if (!p[i] || !strchr(ok, p[i]))
			return 0;
	return n > 0 && p[0] == '/';
}

/*
 * The path of the URL the client asked for, so Link headers point where it came: nginx's
 * DOCUMENT_URI, else the path of REQUEST_URI (the URL before a rewrite: under Apache,
 * SCRIPT_NAME names the binary behind /api/<path>, not the public URL), else SCRIPT_NAME.
 * The path is taken from the request, not from a configured public URL: it is right under
 * any prefix, host or scheme without a setting to keep in step.
 */
static const char *
request_path(struct fs_request *req)
{
	const char *p = fs_request_param(req, "DOCUMENT_URI"), *uri;
	size_t n;

	if (p)
		return p;
	uri = fs_request_param(req, "REQUEST_URI");
	if (uri) {
		n = strcspn(uri, "?#");
		if (is_plain_path(uri, n) && (req->path_owned = strndup(uri, n)) != NULL)
			return req->path_owned;
	}
	p = fs_request_param(req, "SCRIPT_NAME");
	return p ? p : "";
}

void
fs_request_init(struct fs_request *req, FCGX_Request *fcgx, const struct fs_config *cfg)
{
	const char *q;

	memset(req, 0, sizeof(*req));
	req->fcgx = fcgx;
	req->cfg = cfg;
	req->err.index = -1;
	req->method = method_of(fs_request_param(req, "REQUEST_METHOD"));
	q = fs_request_param(req, "QUERY_STRING");
	req->query = q ? q : "";
	req->path = request_path(req);
	req->content_type = fs_request_param(req, "CONTENT_TYPE");
	req->origin = fs_request_param(req, "HTTP_ORIGIN");
	req->if_match = fs_request_param(req, "HTTP_IF_MATCH");
	req->idem_key = fs_request_param(req, "HTTP_IDEMPOTENCY_KEY");
}

/* Drops the body of the answer, keeping its headers. */
static void
drop_body(struct fs_response *resp)
{
	free(resp->owned);
	if (resp->drop)
		resp->drop(resp->hold);
	resp->owned = NULL;
	resp->hold = NULL;
	resp->drop = NULL;
	resp->body = NULL;
	resp->len = 0;
}

void
fs_request_release(struct fs_request *req)
{
	free(req->body);
	req->body = NULL;
	req->body_len = 0;
	free(req->path_owned);
	req->path_owned = NULL;
	req->path = "";
	drop_body(&req->resp);
	free(req->resp.headers);
	memset(&req->resp, 0, sizeof(req->resp));
	fs_error_clear(&req->err);
}

/* Reads up to N bytes of body; returns how many were read (0 at its end). */
static size_t
read_some(struct fs_request *req, char *buf, size_t n)
{
	size_t got;

	if (req->fcgx) {
		int r = FCGX_GetStr(buf, (int)n, req->fcgx->in);
		got = r > 0 ? (size_t)r : 0;
	} else {
		got = fread(buf, 1, n, stdin);
	}
	req->body_taken += got;
	if (got == 0)
		req->body_ended = 1;
	return got;
}

/* How the end of the body is known. */
enum body_extent { BODY_NONE, BODY_LENGTH, BODY_TO_END, BODY_BAD_LENGTH };

/* The extent of REQ's body; for BODY_LENGTH, *LEN is CONTENT_LENGTH. */
static enum body_extent
body_extent(const struct fs_request *req, unsigned long long *len)
{
	const char *cl = fs_request_param(req, "CONTENT_LENGTH");
	const char *te = fs_request_param(req, "HTTP_TRANSFER_ENCODING");
	char *end;

	if (cl && *cl) {
		errno = 0;
		*len = strtoull(cl, &end, 10);
		return errno || *end || cl[0] == '-' ? BODY_BAD_LENGTH : BODY_LENGTH;
	}
	/* Without a length, only a server that says the body is chunked sends one. */
	return te && *te ? BODY_TO_END : BODY_NONE;
}

/* Reads into req->body until LEN bytes or the end of the body; returns the bytes read. */
static size_t
read_into(struct fs_request *req, size_t len)
{
	size_t got = 0, n;

	while (got < len && (n = read_some(req, req->body + got, len - got)) > 0)
		got += n;
	req->body[got] = '\0';
	req->body_len = got;
	return got;
}

enum fs_err
fs_request_read_body(struct fs_request *req, struct fs_error *err)
{
	unsigned long long v = 0;
	enum body_extent ext = body_extent(req, &v);
	size_t max = req->cfg->max_body;

	if (ext == BODY_BAD_LENGTH)
		return fs_error_set(err, ERR_INVALID_PARAMETER, NULL, "bad Content-Length");
	if (ext == BODY_LENGTH && v > max)
		return fs_error_set(err, ERR_PAYLOAD_TOO_LARGE, NULL,
		    "the body is larger than %zu bytes", max);
	/* A chunked body may be up to max bytes; one more byte read tells it is larger. */
	size_t len = ext == BODY_LENGTH ? (size_t)v : ext == BODY_TO_END ? max + 1 : 0;
	req->body = malloc(len + 1);
	if (!req->body)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	size_t got = read_into(req, len);
	if (ext == BODY_TO_END && got > max)
		return fs_error_set(err, ERR_PAYLOAD_TOO_LARGE, NULL,
		    "the body is larger than %zu bytes", max);
	if (ext == BODY_LENGTH && got < len)
		return fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body ended before Content-Length");
	return FS_OK;
}

/* CGI only: reads and drops what is left of the body, at most four times max_body. */
static void
drain_body(struct fs_request *req)
{
	char buf[16384];
	unsigned long long v = 0;
	enum body_extent ext = body_extent(req, &v);
	size_t cap = 4 * req->cfg->max_body;

	if (req->fcgx || req->body_ended || ext == BODY_NONE || ext == BODY_BAD_LENGTH)
		return;
	if (ext == BODY_LENGTH && v < cap)
		cap = (size_t)v;
	while (req->body_taken < cap) {
		size_t want = cap - req->body_taken < sizeof(buf) ? cap - req->body_taken : sizeof(buf);
		if (read_some(req, buf, want) == 0)
			break;
	}
}

enum fs_err
fs_response_header(struct fs_request *req, const char *name, const char *fmt, ...)
{
	struct fs_response *r = &req->resp;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fs_error_set(&req->err, ERR_INTERNAL, NULL, "cannot format a header");
	/* Headers grow as needed: a Link cursor can be several kilobytes. */
	size_t need = r->headers_len + strlen(name) + 2 + (size_t)n + 3;
	if (need > r->headers_cap) {
		size_t cap = need > 2 * r->headers_cap ? need : 2 * r->headers_cap;
		char *h = realloc(r->headers, cap);
		if (!h)
			return fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		r->headers = h;
		r->headers_cap = cap;
	}
	r->headers_len += (size_t)sprintf(r->headers + r->headers_len, "%s: ", name);
	va_start(ap, fmt);
	r->headers_len += (size_t)vsprintf(r->headers + r->headers_len, fmt, ap);
	va_end(ap);
	memcpy(r->headers + r->headers_len, "\r\n", 3);
	r->headers_len += 2;
	return FS_OK;
}

void
fs_response_set(struct fs_request *req, int status, const char *body, size_t len)
{
	drop_body(&req->resp);
	req->resp.status = status;
	req->resp.body = body;
	req->resp.len = len;
}

void
fs_response_take(struct fs_request *req, int status, char *body, size_t len)
{
	fs_response_set(req, status, body, len);
	req->resp.owned = body;
}

void
fs_http_preflight(struct fs_request *req)
{
	if (req->origin && !fs_config_origin_allowed(req->cfg, req->origin)) {
		fs_error_set(&req->err, ERR_ORIGIN_NOT_ALLOWED, NULL, "origin %.80s is not allowed",
		    req->origin);
		return;
	}
	if (fs_response_header(req, "Allow", "%s", FS_ALLOW) == FS_OK
	    && fs_response_header(req, "Access-Control-Allow-Methods", "%s", FS_ALLOW) == FS_OK
	    && fs_response_header(req, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type, If-Match, Idempotency-Key, Last-Event-ID, X-Requested-With")
	    == FS_OK
	    && fs_response_header(req, "Access-Control-Max-Age", "600") == FS_OK)
		fs_response_set(req, 204, NULL, 0);
}

/* The reason phrase for STATUS. */
static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Writes N bytes; returns 0 or -1. */
static int
write_all(struct fs_request *req, const char *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (req->fcgx)
		return FCGX_PutStr(buf, (int)n, req->fcgx->out) == (int)n ? 0 : -1;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

/* Turns the error of REQ into its answer: JSON body, status, Retry-After, Allow or WWW-Authenticate. */
static void
error_to_answer(struct fs_request *req)
{
	static const char fallback[] =
	    "{\"error\":{\"status\":500,\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
	char *json = fs_error_json(&req->err);

	/* Headers a handler set for a success (Link, ETag) do not belong to an error. */
	req->resp.headers_len = 0;
	req->resp.content_type = NULL;
	if (req->err.code == ERR_DATABASE_UNAVAILABLE || req->err.code == ERR_TIMEOUT
	    || req->err.code == ERR_OUTCOME_UNKNOWN || req->err.code == ERR_SCHEMA_OUTDATED
	    || req->err.code == ERR_SCHEMA_NEWER)
		fs_response_header(req, "Retry-After", "%d", req->cfg->retry_after);
	else if (req->err.code == ERR_METHOD_NOT_ALLOWED)
		fs_response_header(req, "Allow", "%s", FS_ALLOW);
	else if (req->err.code == ERR_RATE_LIMITED)
		fs_response_header(req, "Retry-After", "%d", req->err.retry_after > 0
		    ? req->err.retry_after : 1);
	else if (fs_error_status(req->err.code) == 401)	/* RFC 9110: every 401 names its scheme */
		fs_response_header(req, "WWW-Authenticate", "Bearer");
	if (json)
		fs_response_take(req, fs_error_status(req->err.code), json, strlen(json));
	else
		fs_response_set(req, 500, fallback, sizeof(fallback) - 1);
}

/* Writes the string S; returns 0 or -1. */
static int
write_str(struct fs_request *req, const char *s)
{
	return write_all(req, s, strlen(s));
}

/* The status line and the standard headers of REQ's answer, then its own. -1 on a write error. */
static int
write_head(struct fs_request *req)
{
	int cors = fs_config_origin_allowed(req->cfg, req->origin);
	char line[64];

	snprintf(line, sizeof(line), "Status: %d %s\r\n", req->resp.status, reason(req->resp.status));
	if (write_str(req, line) < 0 || write_str(req, "Content-Type: ") < 0
	    || write_str(req, req->resp.content_type ? req->resp.content_type : "application/json; charset=utf-8") < 0
	    || write_str(req, "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n") < 0)
		return -1;
	if (cors && (write_str(req, "Access-Control-Allow-Origin: ") < 0
	    || write_str(req, req->origin) < 0 || write_str(req, "\r\nVary: Origin\r\n"
	    "Access-Control-Expose-Headers: Link, ETag, Idempotent-Replay\r\n") < 0
	    || (fs_config_origin_named(req->cfg, req->origin)
	    && write_str(req, "Access-Control-Allow-Credentials: true\r\n") < 0)))
		return -1;
	/* Its length, so that nginx passes the body as it is rather than chunked. */
	if (req->resp.status != 204 && req->resp.body) {
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n", req->resp.len);
		if (write_str(req, line) < 0)
			return -1;
	}
	return write_all(req, req->resp.headers ? req->resp.headers : "", req->resp.headers_len) < 0
	    || write_str(req, "\r\n") < 0 ? -1 : 0;
}

enum fs_err
fs_request_answer(struct fs_request *req)
{
	int rc;

	drain_body(req);
	if (req->err.code != FS_OK || req->resp.status == 0) {
		if (req->err.code == FS_OK)
			fs_error_set(&req->err, ERR_INTERNAL, NULL, "the request got no answer");
		error_to_answer(req);
	}
	rc = write_head(req);
	if (rc == 0 && req->method != M_HEAD && req->resp.status != 204 && req->resp.body)
		rc = write_all(req, req->resp.body, req->resp.len);
	if (rc == 0 && !req->fcgx && fflush(stdout) != 0)
		rc = -1;
	if (rc < 0) {
		fs_log(FS_LOG_WARN, "%s %s: the client went away before the %d answer was written",
		    fs_method_name(req->method), req->path, req->resp.status);
		return ERR_INTERNAL;
	}
	return FS_OK;
}
