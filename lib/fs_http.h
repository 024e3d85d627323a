/*
 * fs_http.h - one HTTP request as FastCGI or CGI hands it over, and its answer.
 *
 * The same code serves both: in FastCGI mode the streams and parameters come from
 * libfcgi, in CGI mode from stdin, stdout and the environment.
 */
#ifndef FS_HTTP_H
#define FS_HTTP_H

#include <stddef.h>

#include <fcgiapp.h>

#include "fs_config.h"
#include "fs_error.h"

enum fs_method { M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_OPTIONS, M_OTHER, M__MAX };

/* What every 405 offers. */
#define FS_ALLOW "GET, HEAD, POST, PUT, DELETE, OPTIONS"

struct fs_request {
	FCGX_Request *fcgx;		/* NULL in CGI mode */
	const struct fs_config *cfg;
	enum fs_method method;
	const char *query;		/* raw QUERY_STRING, never NULL */
	const char *path;		/* the URL path (for Link headers), never NULL */
	const char *content_type;	/* may be NULL */
	const char *origin;		/* may be NULL */
	const char *if_match;		/* may be NULL */
	const char *idem_key;		/* Idempotency-Key, may be NULL */
	char *body;			/* owned, NUL-terminated, or NULL */
	size_t body_len;
	int answered;			/* a response has been written */
};

/*
 * Fills REQ from FCGX (NULL for CGI) and CFG. The strings point into the server's
 * parameters and live until the request is finished; nothing is allocated.
 */
void fs_request_init(struct fs_request *req, FCGX_Request *fcgx, const struct fs_config *cfg);

/* Frees what REQ owns (the body). */
void fs_request_release(struct fs_request *req);

/* The name of method M ("GET", …; "" for M_OTHER). */
const char *fs_method_name(enum fs_method m);

/* A CGI parameter (HTTP_ORIGIN, …) of REQ, or NULL. */
const char *fs_request_param(const struct fs_request *req, const char *name);

/*
 * Reads the body into req->body, refusing (ERR_PAYLOAD_TOO_LARGE) more than the
 * configured max_body before reading a byte of it. Returns FS_OK or the code set in ERR.
 */
enum fs_code fs_request_read_body(struct fs_request *req, struct fs_error *err);

/*
 * Writes the answer: status line, the standard headers (JSON content type, no-store,
 * CORS for an allowed origin), EXTRA (zero or more "Name: value\r\n" lines, may be NULL),
 * then BODY unless the request was HEAD. Returns 0, or -1 when the client went away.
 */
int fs_respond(struct fs_request *req, int status, const char *extra, const char *body, size_t len);

/* Answers ERR as JSON with its status (and Retry-After or Allow where they belong). */
int fs_respond_error(struct fs_request *req, const struct fs_error *err);

#endif
