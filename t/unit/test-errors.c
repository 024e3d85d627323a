/* test-errors.c - every error code has a status and a name, and one JSON shape. */
#include <stdlib.h>

#include <string.h>

#include "fs_error.h"
#include "fs_formats.h"
#include "tap.h"

int
main(void)
{
	struct fs_error err = FS_ERROR_INIT;
	char *json;
	int named = 1, statuses = 1;

	for (int c = 1; c < ERR__MAX; c++) {
		named &= fs_error_name((enum fs_err)c) != NULL;
		statuses &= fs_error_status((enum fs_err)c) >= 400;
	}
	ok(named, "every code has a name");
	ok(statuses, "every error code has a 4xx or 5xx status");
	is_int(fs_error_status(ERR_MALFORMED_JSON), 400, "malformed JSON is 400");
	is_int(fs_error_status(ERR_METHOD_NOT_ALLOWED), 405, "wrong method is 405");
	is_int(fs_error_status(ERR_VERSION_CONFLICT), 409, "version conflict is 409");
	is_int(fs_error_status(ERR_PAYLOAD_TOO_LARGE), 413, "too large is 413");
	is_int(fs_error_status(ERR_UNSUPPORTED_MEDIA_TYPE), 415, "wrong type is 415");
	is_int(fs_error_status(ERR_INVALID_VALUE), 422, "broken rule is 422");
	is_int(fs_error_status(ERR_DATABASE_UNAVAILABLE), 503, "database down is 503");
	is_int(fs_error_status(ERR_STREAM_LIMIT), 429, "one client's stream limit is 429");
	is_str(fs_error_name(ERR_STREAM_LIMIT), "too_many_streams", "... too_many_streams");
	is_str(fs_error_name(ERR_IDEMPOTENCY_KEY_REUSED), "idempotency_key_reused", "a name");

	fs_error_set(&err, ERR_INVALID_VALUE, "status", "status must be %s", "\"open\"");
	err.index = 3;
	json = fs_error_json(&err);
	is_str(json, "{\"error\":{\"status\":422,\"code\":\"invalid_value\","
	    "\"message\":\"status must be \\\"open\\\"\",\"field\":\"status\",\"index\":3}}",
	    "JSON shape with field and index, quotes escaped");
	free(json);

	fs_error_clear(&err);
	fs_error_set(&err, ERR_VERSION_CONFLICT, "version", "stale");
	fs_error_attach(&err, "current", strdup("{\"version\":4}"));
	json = fs_error_json(&err);
	is_str(json, "{\"error\":{\"status\":409,\"code\":\"version_conflict\",\"message\":\"stale\","
	    "\"field\":\"version\",\"current\":{\"version\":4}}}", "a conflict carries the current row");
	free(json);
	fs_error_clear(&err);
	ok(err.extra == NULL && err.code == FS_OK && err.index == -1, "clear resets and frees");

	/* Messages quote the request: they must stay UTF-8 whatever was sent. */
	fs_error_set(&err, ERR_UNKNOWN_FIELD, "a\xff" "b", "no field \"%s\"", "x\xc3\x28y");
	is_str(err.message, "no field \"x?(y\"", "an invalid byte in a message becomes ?");
	is_str(err.field, "a?b", "and in the field");
	{
		char long_text[600];
		for (int i = 0; i < 299; i++)
			memcpy(long_text + 2 * i, "\xc3\xa9", 2);	/* 299 x e-acute */
		long_text[598] = '\0';
		fs_error_set(&err, ERR_INVALID_VALUE, NULL, "%s", long_text);
		/* 255 bytes fit: 127 characters and a half one, which is dropped. */
		is_int((int)strlen(err.message), 254, "a message cut mid-character loses the half character");
		json = fs_error_json(&err);
		ok(json != NULL && fs_is_utf8(json, strlen(json)), "its JSON is UTF-8");
		free(json);
	}
	fs_error_clear(&err);
	return done_testing();
}
