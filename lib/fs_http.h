/*
 * fs_http.h - one HTTP request as FastCGI or CGI hands it over, and its one answer.
 *
 * The same code serves both: in FastCGI mode the streams and parameters come from
 * libfcgi, in CGI mode from stdin, stdout and the environment. Handlers never write to
 * the client: they fill req->resp (status, headers, body) or req->err, and the request
 * loop sends exactly one answer with fs_request_answer().
 */
#ifndef FS_HTTP_H
#define FS_HTTP_H

#include <stddef.h>
#include <time.h>

#include <fcgiapp.h>

#include "fs_config.h"
#include "fs_error.h"

enum fs_method { M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_OPTIONS, M_OTHER, M__MAX };

/* What every 405 offers. */
#define FS_ALLOW "GET, HEAD, POST, PUT, DELETE, OPTIONS"

/* The answer a handler fills in. */
struct fs_response {
	int status;			/* 0 until a handler sets one */
	const char *content_type;	/* NULL: JSON (every answer but /api/metrics) */
	char *headers;			/* owned "Name: value\r\n" lines, or NULL */
	size_t headers_len, headers_cap;
	const char *body;		/* NULL for none; points into owned or into hold */
	size_t len;
	char *owned;			/* malloc'd body, freed with the request */
	void *hold;			/* something BODY points into, released by drop() */
	void (*drop)(void *hold);
};

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
	size_t body_taken;		/* bytes of the body taken from the server so far */
	int body_ended;			/* the body's end was reached */
	char *path_owned;		/* path, when it had to be copied out of REQUEST_URI */
	struct fs_response resp;	/* the answer, when err.code is FS_OK */
	struct fs_error err;		/* the answer, when set */
	bool deferred;			/* the handler left it in flight behind others (fs_read.h) */
	struct timespec started;	/* when its handling began (the latency metric) */
};

/*
 * Fills REQ from FCGX (NULL for CGI) and CFG. The strings point into the server's
 * parameters and live until the request is finished; only a path cut out of REQUEST_URI
 * is allocated (freed by fs_request_release).
 */
void fs_request_init(struct fs_request *req, FCGX_Request *fcgx, const struct fs_config *cfg);

/* Frees what REQ owns (the body, the answer, the error). */
void fs_request_release(struct fs_request *req);

/* The name of method M ("GET", …; "" for M_OTHER). */
const char *fs_method_name(enum fs_method m);

/* A CGI parameter (HTTP_ORIGIN, …) of REQ, or NULL. */
const char *fs_request_param(const struct fs_request *req, const char *name);

/*
 * Reads the body into req->body, refusing (ERR_PAYLOAD_TOO_LARGE) more than the
 * configured max_body: before reading a byte of it when CONTENT_LENGTH says so, else (a
 * chunked body, which Apache hands over without CONTENT_LENGTH but with
 * HTTP_TRANSFER_ENCODING) once more than that has come. Without either, there is no body.
 * Returns FS_OK or the code set in ERR.
 */
enum fs_err fs_request_read_body(struct fs_request *req, struct fs_error *err);

/* Appends the header line "NAME: VALUE" (printf-style) to REQ's answer; FS_OK or ERR_INTERNAL. */
enum fs_err fs_response_header(struct fs_request *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets REQ's answer to STATUS with BODY (LEN bytes), which must live until the answer is sent. */
void fs_response_set(struct fs_request *req, int status, const char *body, size_t len);

/* Sets REQ's answer to STATUS with the malloc'd BODY (LEN bytes), owned from now on. */
void fs_response_take(struct fs_request *req, int status, char *body, size_t len);

/* Answers the OPTIONS request REQ: a CORS preflight for an allowed origin, else 403. */
void fs_http_preflight(struct fs_request *req);

/*
 * Sends REQ's one answer. In CGI mode, what is left of the body is read first (at most
 * four times max_body), whether or not a handler wanted it: a CGI that exits with unread
 * input makes Apache's mod_cgid lose the answer (the script's socket is reset) or log a
 * broken pipe. Then the error in req->err if set, else req->resp, with the
 * standard headers (JSON content type, no-store, nosniff, CORS for an allowed origin),
 * the body unless the request was HEAD or the status is 204. A client that went away
 * is logged. FS_OK, or ERR_INTERNAL when the answer could not be written.
 */
enum fs_err fs_request_answer(struct fs_request *req);

#endif
