/* test-validate.c - JSON bodies checked against the column table. */
#include <stdlib.h>
#include <string.h>

#include "example.h"
#include "fs_json.h"
#include "fs_validate.h"
#include "tap.h"

/* Parses TEXT and validates it for KIND; returns the code, leaving the row in *OUT. */
static enum fs_err
check(const char *text, enum fs_write_kind kind, cJSON **out, struct fs_error *err)
{
	cJSON *row;

	fs_error_clear(err);
	cJSON_Delete(*out);
	*out = NULL;
	row = fs_json_parse(text, strlen(text), err);
	if (!row)
		return err->code;
	*out = row;
	return fs_validate_row(&example, row, kind, err);
}

/* A money column as the cash requests declare theirs: NUMERIC(12,2), more than zero. */
static const struct fs_column money_columns[] = {
	{ .name = "amount", .type = COL_NUMERIC, .flags = COL_HAS_MIN | COL_MIN_EXCLUSIVE, .min = 0,
	  .scale = 2, .precision = 12 },
	{ .name = NULL },
};
static const struct fs_resource money_resource = {
	.table = "payments", .path = "payments", .columns = money_columns,
	.filters = example_filters, .sort = "created_at",
};

/* Validates TEXT as a new row of money_resource; returns the code (ERR kept). */
static enum fs_err
money(const char *text, struct fs_error *err)
{
	cJSON *row;
	enum fs_err rc;

	fs_error_clear(err);
	if (!(row = fs_json_parse(text, strlen(text), err)))
		return err->code;
	rc = fs_validate_row(&money_resource, row, FS_CREATE, err);
	cJSON_Delete(row);
	return rc;
}

int
main(void)
{
	struct fs_error err = FS_ERROR_INIT;
	cJSON *row = NULL;
	char *text;

	is_int(check("", FS_CREATE, &row, &err), ERR_MALFORMED_JSON, "empty body");
	is_int(check("{\"name\":", FS_CREATE, &row, &err), ERR_MALFORMED_JSON, "cut-off JSON");
	is_int(check("{} {}", FS_CREATE, &row, &err), ERR_MALFORMED_JSON, "two values");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\"}  \n", FS_CREATE, &row, &err), FS_OK,
	    "trailing whitespace is fine");
	is_int(check("\"text\"", FS_CREATE, &row, &err), ERR_INVALID_TYPE, "a string body");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"colour\":1}", FS_CREATE, &row, &err),
	    ERR_UNKNOWN_FIELD, "unknown field");
	is_str(err.field, "colour", "names the unknown field");
	is_int(check("{\"name\":\"a\"}", FS_CREATE, &row, &err), ERR_MISSING_FIELD, "no branch");
	is_str(err.field, "branch", "names branch");
	is_int(check("{\"branch\":\"n\"}", FS_CREATE, &row, &err), ERR_MISSING_FIELD, "no name");
	is_int(check("{\"branch\":\"n\",\"name\":null}", FS_CREATE, &row, &err), ERR_MISSING_FIELD,
	    "null required field");
	is_int(check("{\"branch\":\"n\",\"name\":5}", FS_CREATE, &row, &err), ERR_INVALID_TYPE,
	    "number for a string");
	is_str(err.field, "name", "names the field");
	is_int(check("{\"branch\":\"n\",\"name\":\"12345678901\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "string over max_len");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"status\":\"shut\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "status outside its set");
	is_str(err.message, "status must be one of: open, closed", "lists the allowed values");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"owner_id\":\"x\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_FORMAT, "bad uuid");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"due_on\":\"2025-02-30\"}", FS_CREATE, &row,
	    &err), ERR_INVALID_FORMAT, "bad date");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"seen_at\":\"soon\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_FORMAT, "bad timestamp");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"count\":2.5}", FS_CREATE, &row, &err),
	    ERR_INVALID_TYPE, "fraction for an integer");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"count\":10}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "integer over its maximum");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":0}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "zero where more than zero is needed");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":-5}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "negative amount");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":12.345}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "three decimals where two are kept");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":0.1}", FS_CREATE, &row, &err),
	    FS_OK, "0.1 has one decimal, whatever binary floating point makes of it");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":1e-3}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "1e-3 has three decimals");
	/* Found by fuzzing: exponents strtol saturates made the digit count overflow. */
	is_int(money("{\"branch\":\"n\",\"amount\":1e99999999999999999999}", &err), ERR_INVALID_VALUE,
	    "an exponent past LONG_MAX: more digits than the money column holds");
	is_str(err.field, "amount", "... naming the field");
	is_int(money("{\"branch\":\"n\",\"amount\":5e-99999999999999999999}", &err), ERR_INVALID_VALUE,
	    "an exponent below LONG_MIN: more decimals than it holds");
	is_int(money("{\"branch\":\"n\",\"amount\":123456789012}", &err), ERR_INVALID_VALUE,
	    "twelve digits before the point where ten are");
	is_int(money("{\"branch\":\"n\",\"amount\":1.5e9}", &err), FS_OK, "1.5e9 fits");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"count\":1e-9223372036854775808}",
	    FS_CREATE, &row, &err), ERR_INVALID_TYPE, "LONG_MIN as exponent: no whole number");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\\u0000b\"}", FS_CREATE, &row, &err),
	    ERR_MALFORMED_JSON, "a NUL escape is refused, not cut short");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\\\\u0000b\"}", FS_CREATE, &row, &err),
	    FS_OK, "an escaped backslash before u0000 is plain text");
	/* Money travels safely from forms: a decimal string is the same number. */
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"5\"}", FS_CREATE, &row, &err),
	    FS_OK, "amount as a decimal string");
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(row, "amount"));
	is_str(text, "5", "a decimal string is sent on as that number");
	cJSON_free(text);
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"1500.50\"}", FS_CREATE, &row,
	    &err), FS_OK, "amount \"1500.50\"");
	/* Found by fuzzing: leading zeros are fine in a string, never in a JSON number. */
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"0001727796627.50\"}", FS_CREATE,
	    &row, &err), FS_OK, "amount \"0001727796627.50\" (ten digits before the point)");
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(row, "amount"));
	is_str(text, "1727796627.50", "... goes on as a JSON number, without the leading zeros");
	cJSON_free(text);
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"000.5\"}", FS_CREATE, &row, &err),
	    FS_OK, "amount \"000.5\"");
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(row, "amount"));
	is_str(text, "0.5", "... is 0.5");
	cJSON_free(text);
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"abc\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_TYPE, "amount as a word");
	is_str(err.field, "amount", "names the money field");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"1e3\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_TYPE, "amount as an exponent string");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"12.345\"}", FS_CREATE, &row,
	    &err), ERR_INVALID_VALUE, "a decimal string with three decimals");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":\"-1\"}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "a negative decimal string");
	/* Numbers are checked from their text, never from a rounded double. */
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":9999999999.989999999}", FS_CREATE,
	    &row, &err), ERR_INVALID_VALUE, "nine decimals that a double would round to two");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":0.10}", FS_CREATE, &row, &err),
	    FS_OK, "0.10 has two decimals");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":1.5e-1}", FS_CREATE, &row, &err),
	    FS_OK, "1.5e-1 has two decimals");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"amount\":1.5e-2}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "1.5e-2 has three decimals");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"extra\":{\"big\":12345678901234567890}}",
	    FS_CREATE, &row, &err), FS_OK, "a big number inside an object");
	text = cJSON_PrintUnformatted(row);
	is_int(text && strstr(text, "12345678901234567890") != NULL, 1,
	    "is sent on digit for digit, not as a double");
	cJSON_free(text);
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"count\":4.5}", FS_CREATE, &row, &err),
	    ERR_INVALID_TYPE, "a fraction for an integer");
	/* Input is taken exactly or refused. */
	is_int(check("{\"branch\":\"a\",\"name\":\"x\",\"branch\":\"b\"}", FS_CREATE, &row, &err),
	    ERR_MALFORMED_JSON, "a key given twice");
	is_str(err.field, "branch", "names the repeated key");
	is_int(check("{\"branch\":\"a\",\"name\":\"x\",\"extra\":{\"k\":1,\"k\":2}}", FS_CREATE,
	    &row, &err), ERR_MALFORMED_JSON, "a key given twice in a nested object");
	is_int(check("{\"branch\":\"a\",\"name\":\"\xff\"}", FS_CREATE, &row, &err),
	    ERR_MALFORMED_JSON, "a body that is not UTF-8");
	is_int(check("{\"branch\":\"\",\"name\":\"x\"}", FS_CREATE, &row, &err), ERR_INVALID_VALUE,
	    "an empty branch");
	is_str(err.field, "branch", "names the branch");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"lat\":90.5}", FS_CREATE, &row, &err),
	    ERR_INVALID_VALUE, "latitude out of range");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"extra\":[]}", FS_CREATE, &row, &err),
	    ERR_INVALID_TYPE, "array for an object");
	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"items\":{}}", FS_CREATE, &row, &err),
	    ERR_INVALID_TYPE, "object for an array");

	is_int(check("{\"branch\":\"n\",\"name\":\"a\",\"created_at\":\"2020-01-01T00:00Z\","
	    "\"version\":7,\"status\":null}", FS_CREATE, &row, &err), FS_OK, "a row echoed back");
	text = cJSON_PrintUnformatted(row);
	is_str(text, "{\"branch\":\"n\",\"name\":\"a\",\"status\":\"open\",\"count\":3}",
	    "create: server fields dropped, defaults filled in");
	cJSON_free(text);

	is_int(check("{\"id\":\"6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11\",\"version\":2,"
	    "\"updated_at\":\"2020-01-01T00:00Z\"}", FS_UPDATE, &row, &err), FS_OK,
	    "update needs no required field");
	text = cJSON_PrintUnformatted(row);
	is_str(text, "{\"id\":\"6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11\",\"version\":2}",
	    "update: version kept, no defaults added");
	cJSON_free(text);
	is_int(check("{\"name\":null}", FS_UPDATE, &row, &err), ERR_MISSING_FIELD,
	    "update cannot null a required field");
	is_int(check("{\"version\":0}", FS_UPDATE, &row, &err), ERR_INVALID_VALUE, "version 0");

	cJSON_Delete(row);
	fs_error_clear(&err);
	return done_testing();
}
