/* fs_http.c - reading a request and writing its answer, over FastCGI or CGI. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs_http.h"

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

/* The path part of the request URI, so Link headers point where the client came. */
static const char *
request_path(const struct fs_request *req)
{
	const char *p = fs_request_param(req, "DOCUMENT_URI");

	if (!p)
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
	req->method = method_of(fs_request_param(req, "REQUEST_METHOD"));
	q = fs_request_param(req, "QUERY_STRING");
	req->query = q ? q : "";
	req->path = request_path(req);
	req->content_type = fs_request_param(req, "CONTENT_TYPE");
	req->origin = fs_request_param(req, "HTTP_ORIGIN");
	req->if_match = fs_request_param(req, "HTTP_IF_MATCH");
	req->idem_key = fs_request_param(req, "HTTP_IDEMPOTENCY_KEY");
}

void
fs_request_release(struct fs_request *req)
{
	free(req->body);
	req->body = NULL;
	req->body_len = 0;
}

/* Reads up to N bytes of body; returns how many were read. */
static size_t
read_some(struct fs_request *req, char *buf, size_t n)
{
	if (req->fcgx) {
		int got = FCGX_GetStr(buf, (int)n, req->fcgx->in);
		return got > 0 ? (size_t)got : 0;
	}
	return fread(buf, 1, n, stdin);
}

enum fs_code
fs_request_read_body(struct fs_request *req, struct fs_error *err)
{
	const char *cl = fs_request_param(req, "CONTENT_LENGTH");
	size_t len = 0, got = 0, n;
	char *end;

	if (cl && *cl) {
		errno = 0;
		unsigned long long v = strtoull(cl, &end, 10);
		if (errno || *end || cl[0] == '-')
			return fs_error_set(err, ERR_INVALID_PARAMETER, NULL, "bad Content-Length");
		if (v > req->cfg->max_body)
			return fs_error_set(err, ERR_PAYLOAD_TOO_LARGE, NULL,
			    "the body is larger than %zu bytes", req->cfg->max_body);
		len = (size_t)v;
	}
	req->body = malloc(len + 1);
	if (!req->body)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	while (got < len && (n = read_some(req, req->body + got, len - got)) > 0)
		got += n;
	req->body[got] = '\0';
	req->body_len = got;
	if (got < len)
		return fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body ended before Content-Length");
	return FS_OK;
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
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
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

int
fs_respond(struct fs_request *req, int status, const char *extra, const char *body, size_t len)
{
	char head[2048];
	int n, cors = fs_config_origin_allowed(req->cfg, req->origin);

	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s%s%s%s"
	    "%s\r\n",
	    status, reason(status),
	    cors ? "Access-Control-Allow-Origin: " : "", cors ? req->origin : "",
	    cors ? "\r\nVary: Origin\r\n" : "",
	    cors ? "Access-Control-Expose-Headers: Link, ETag, Idempotent-Replay\r\n" : "",
	    extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	req->answered = 1;
	if (write_all(req, head, (size_t)n) < 0)
		return -1;
	if (req->method == M_HEAD || status == 204 || !body)
		return 0;
	if (write_all(req, body, len) < 0)
		return -1;
	if (!req->fcgx)
		fflush(stdout);
	return 0;
}

int
fs_respond_error(struct fs_request *req, const struct fs_error *err)
{
	static const char fallback[] =
	    "{\"error\":{\"status\":500,\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
	char extra[128] = "";
	char *json = fs_error_json(err);
	int rc;

	if (err->code == ERR_DATABASE_UNAVAILABLE)
		snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", req->cfg->retry_after);
	else if (err->code == ERR_METHOD_NOT_ALLOWED)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", FS_ALLOW);
	if (!json)
		return fs_respond(req, 500, NULL, fallback, sizeof(fallback) - 1);
	rc = fs_respond(req, fs_error_status(err->code), extra, json, strlen(json));
	free(json);
	return rc;
}
