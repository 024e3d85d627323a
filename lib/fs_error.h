/*
 * fs_error.h - the API's errors: one code per kind, each with its HTTP status.
 *
 * Every error leaves the server as
 *   {"error": {"status": 422, "code": "invalid_value", "message": "...", "field": "...", "index": 3}}
 *
 * The return convention of lib/: a function that can fail returns enum fs_err (FS_OK = 0)
 * and fills a struct fs_error with the words; predicates return bool, counts int.
 */
#ifndef FS_ERROR_H
#define FS_ERROR_H

#include <stdarg.h>

enum fs_err {
	FS_OK = 0,
	ERR_MALFORMED_JSON,
	ERR_INVALID_TYPE,
	ERR_UNKNOWN_FIELD,
	ERR_INVALID_FORMAT,
	ERR_UNKNOWN_PARAMETER,
	ERR_INVALID_PARAMETER,
	ERR_MISSING_ID,
	ERR_EMPTY_BATCH,
	ERR_UNAUTHENTICATED,
	ERR_INVALID_CREDENTIALS,
	ERR_FORBIDDEN,
	ERR_CSRF_FAILED,
	ERR_ORIGIN_NOT_ALLOWED,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_DUPLICATE_ID,
	ERR_DELETED,
	ERR_VERSION_CONFLICT,
	ERR_DUPLICATE_VALUE,
	ERR_REFERENCED,
	ERR_PAYLOAD_TOO_LARGE,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_MISSING_FIELD,
	ERR_INVALID_VALUE,
	ERR_UNKNOWN_REFERENCE,
	ERR_IDEMPOTENCY_KEY_REUSED,
	ERR_RATE_LIMITED,
	ERR_HISTORY_GONE,
	ERR_INTERNAL,
	ERR_DATABASE_UNAVAILABLE,
	ERR_SCHEMA_OUTDATED,		/* the database's schema is behind this build: migrate */
	ERR_SCHEMA_NEWER,		/* ... ahead of it: a newer build migrated it */
	ERR_TIMEOUT,
	ERR_OUTCOME_UNKNOWN,
	ERR_TOO_MANY_STREAMS,
	ERR_STREAM_LIMIT,		/* one client's (address or user) streams: 429 too_many_streams */
	ERR__MAX
};

/* One error, filled by whoever finds it and answered by the request loop. */
struct fs_error {
	enum fs_err code;
	char message[256];
	char field[64];		/* "" when no field is at fault */
	int index;		/* position in a bulk array, or -1 */
	const char *extra_name;	/* name of an extra member of "error" ("current", "head"), or NULL */
	char *extra;		/* owned JSON text of that member, or NULL */
	int retry_after;	/* seconds for Retry-After with rate_limited (0: none known) */
};

/* An empty error, for declarations: struct fs_error err = FS_ERROR_INIT; */
#define FS_ERROR_INIT { .code = FS_OK, .index = -1 }

/* The HTTP status of CODE. */
int fs_error_status(enum fs_err code);

/* The snake_case name of CODE, as sent in "code". */
const char *fs_error_name(enum fs_err code);

/* Sets ERR to CODE with a printf-style message; FIELD may be NULL. Returns CODE. */
enum fs_err fs_error_set(struct fs_error *err, enum fs_err code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Attaches JSON (owned from now on; may be NULL) to ERR as the member NAME of "error". */
void fs_error_attach(struct fs_error *err, const char *name, char *json);

/* Resets ERR to FS_OK, freeing what it owns. */
void fs_error_clear(struct fs_error *err);

/* The error as JSON text; the caller frees it with free(). NULL when out of memory. */
char *fs_error_json(const struct fs_error *err);

#endif
