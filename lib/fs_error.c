/* fs_error.c - error codes, their statuses and their JSON form. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fs_error.h"
#include "fs_formats.h"

static const struct {
	int status;
	const char *name;
} codes[ERR__MAX] = {
	[FS_OK] = { 200, "ok" },
	[ERR_MALFORMED_JSON] = { 400, "malformed_json" },
	[ERR_INVALID_TYPE] = { 400, "invalid_type" },
	[ERR_UNKNOWN_FIELD] = { 400, "unknown_field" },
	[ERR_INVALID_FORMAT] = { 400, "invalid_format" },
	[ERR_UNKNOWN_PARAMETER] = { 400, "unknown_parameter" },
	[ERR_INVALID_PARAMETER] = { 400, "invalid_parameter" },
	[ERR_MISSING_ID] = { 400, "missing_id" },
	[ERR_EMPTY_BATCH] = { 400, "empty_batch" },
	[ERR_UNAUTHENTICATED] = { 401, "unauthenticated" },
	[ERR_INVALID_CREDENTIALS] = { 401, "invalid_credentials" },
	[ERR_FORBIDDEN] = { 403, "forbidden" },
	[ERR_CSRF_FAILED] = { 403, "csrf_failed" },
	[ERR_ORIGIN_NOT_ALLOWED] = { 403, "origin_not_allowed" },
	[ERR_NOT_FOUND] = { 404, "not_found" },
	[ERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed" },
	[ERR_DUPLICATE_ID] = { 409, "duplicate_id" },
	[ERR_DELETED] = { 409, "deleted" },
	[ERR_VERSION_CONFLICT] = { 409, "version_conflict" },
	[ERR_DUPLICATE_VALUE] = { 409, "duplicate_value" },
	[ERR_REFERENCED] = { 409, "referenced" },
	[ERR_PAYLOAD_TOO_LARGE] = { 413, "payload_too_large" },
	[ERR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type" },
	[ERR_MISSING_FIELD] = { 422, "missing_field" },
	[ERR_INVALID_VALUE] = { 422, "invalid_value" },
	[ERR_UNKNOWN_REFERENCE] = { 422, "unknown_reference" },
	[ERR_IDEMPOTENCY_KEY_REUSED] = { 422, "idempotency_key_reused" },
	[ERR_RATE_LIMITED] = { 429, "rate_limited" },
	[ERR_HISTORY_GONE] = { 410, "history_gone" },
	[ERR_INTERNAL] = { 500, "internal_error" },
	[ERR_DATABASE_UNAVAILABLE] = { 503, "database_unavailable" },
	[ERR_SCHEMA_OUTDATED] = { 503, "schema_outdated" },
	[ERR_SCHEMA_NEWER] = { 503, "schema_newer" },
	[ERR_TIMEOUT] = { 503, "timeout" },
	[ERR_OUTCOME_UNKNOWN] = { 502, "outcome_unknown" },
	[ERR_TOO_MANY_STREAMS] = { 503, "too_many_streams" },
	[ERR_STREAM_LIMIT] = { 429, "too_many_streams" },
};

int
fs_error_status(enum fs_err code)
{
	return code < ERR__MAX ? codes[code].status : 500;
}

const char *
fs_error_name(enum fs_err code)
{
	return code < ERR__MAX ? codes[code].name : "internal_error";
}

enum fs_err
fs_error_set(struct fs_error *err, enum fs_err code, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	/* Both may quote the request: never send back bytes that are not UTF-8. */
	fs_utf8_clean(err->message);
	fs_utf8_clean(err->field);
	return code;
}

void
fs_error_attach(struct fs_error *err, const char *name, char *json)
{
	free(err->extra);
	err->extra_name = name;
	err->extra = json;
}

void
fs_error_clear(struct fs_error *err)
{
	free(err->extra);
	memset(err, 0, sizeof(*err));
	err->index = -1;
}

char *
fs_error_json(const struct fs_error *err)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *body = cJSON_AddObjectToObject(root, "error");
	char *text = NULL, *out = NULL;
	bool ok = body != NULL
	    && cJSON_AddNumberToObject(body, "status", fs_error_status(err->code))
	    && cJSON_AddStringToObject(body, "code", fs_error_name(err->code))
	    && cJSON_AddStringToObject(body, "message", err->message)
	    && (!err->field[0] || cJSON_AddStringToObject(body, "field", err->field))
	    && (err->index < 0 || cJSON_AddNumberToObject(body, "index", err->index))
	    && (!err->extra || cJSON_AddRawToObject(body, err->extra_name, err->extra));

	if (ok)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text) {
		/* Hand back memory the caller frees with free(), whatever cJSON's allocator. */
		out = strdup(text);
		cJSON_free(text);
	}
	return out;
}
