/* fs_validate.c - JSON parsing and the column-table checks of a written row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "fs_validate.h"

#define DEFAULT_MAX_LEN 1000

static const struct fs_column system_columns[] = {
	{ .name = "branch", .type = COL_TEXT, .flags = COL_REQUIRED, .max_len = 200 },
	{ .name = "id", .type = COL_UUID },
	{ .name = "created_at", .type = COL_TIMESTAMP },
	{ .name = "updated_at", .type = COL_TIMESTAMP },
	{ .name = "version", .type = COL_INT, .flags = COL_HAS_MIN, .min = 1, .max = 2147483647 },
	{ .name = NULL },
};

int
fs_column_is_system(const char *name)
{
	return strcmp(name, "id") == 0 || strcmp(name, "created_at") == 0
	    || strcmp(name, "updated_at") == 0 || strcmp(name, "version") == 0;
}

const struct fs_column *
fs_resource_column(const struct fs_resource *res, const char *name)
{
	for (const struct fs_column *c = system_columns; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	for (const struct fs_column *c = res->columns; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Whether the JSON text holds a \u0000 escape, which no text column can store. */
static int
has_nul_escape(const char *body, size_t len)
{
	/* Backslashes only occur inside strings, so pairing them off is enough. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (body[i] != '\\')
			continue;
		if (body[i + 1] == 'u' && i + 5 < len && strncmp(body + i + 2, "0000", 4) == 0)
			return 1;
		i++;
	}
	return 0;
}

cJSON *
fs_json_parse(const char *body, size_t len, struct fs_error *err)
{
	const char *end = NULL;
	cJSON *tree;

	if (!body || len == 0) {
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body is empty; send a JSON object");
		return NULL;
	}
	if (memchr(body, '\0', len) || has_nul_escape(body, len)) {
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body holds a NUL character");
		return NULL;
	}
	tree = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!tree) {
		end = cJSON_GetErrorPtr();
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body is not valid JSON (at byte %ld)",
		    end && end >= body ? (long)(end - body) : 0L);
		return NULL;
	}
	/* Whitespace may follow the value; anything else is a second value or garbage. */
	while (end && (size_t)(end - body) < len && strchr(" \t\r\n", *end))
		end++;
	if (!end || (size_t)(end - body) != len) {
		cJSON_Delete(tree);
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "unexpected bytes after the JSON value");
		return NULL;
	}
	return tree;
}

/* The JSON type word for an error message about column type T. */
static const char *
type_word(enum fs_coltype t)
{
	static const char *const words[COL__MAX] = {
		[COL_TEXT] = "a string", [COL_ENUM] = "a string", [COL_UUID] = "a uuid string",
		[COL_DATE] = "a date string (YYYY-MM-DD)",
		[COL_TIMESTAMP] = "a timestamp string (ISO 8601)", [COL_INT] = "an integer",
		[COL_NUMERIC] = "a number", [COL_DOUBLE] = "a number", [COL_OBJECT] = "an object",
		[COL_ARRAY] = "an array",
	};
	return words[t];
}

/* Whether the JSON type of V fits column type T. */
static int
json_type_fits(enum fs_coltype t, const cJSON *v)
{
	switch (t) {
	case COL_INT:
		return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
	case COL_NUMERIC:
	case COL_DOUBLE:
		return cJSON_IsNumber(v);
	case COL_OBJECT:
		return cJSON_IsObject(v);
	case COL_ARRAY:
		return cJSON_IsArray(v);
	default:
		return cJSON_IsString(v);
	}
}

/* The number of decimal places D needs, as the shortest text that reads back as D. */
static int
decimals(double d)
{
	char text[64], *dot, *exp;
	int n;

	snprintf(text, sizeof(text), "%.15g", d);
	dot = strchr(text, '.');
	exp = strchr(text, 'e');
	n = dot ? (int)((exp ? exp : text + strlen(text)) - dot - 1) : 0;
	return exp ? n - atoi(exp + 1) : n;
}

/* Checks the number in V against C's range. */
static enum fs_code
check_range(const struct fs_column *c, const cJSON *v, struct fs_error *err)
{
	double d = v->valuedouble;

	if (c->flags & COL_HAS_MIN) {
		int low = (c->flags & COL_MIN_EXCLUSIVE) ? d <= c->min : d < c->min;
		if (low)
			return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s must be %s %g",
			    c->name, (c->flags & COL_MIN_EXCLUSIVE) ? "greater than" : "at least", c->min);
	}
	if ((c->flags & COL_HAS_MAX) && d > c->max)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s must be at most %g",
		    c->name, c->max);
	if (c->scale && decimals(d) > c->scale)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name,
		    "%s has more than %d decimal places", c->name, c->scale);
	if (c->type == COL_INT && (d < -2147483648.0 || d > 2147483647.0))
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s is out of range", c->name);
	return FS_OK;
}

/* Checks a string value V of column C: format, enum set, length. */
static enum fs_code
check_string(const struct fs_column *c, const cJSON *v, struct fs_error *err)
{
	const char *s = v->valuestring;
	int max = c->max_len ? c->max_len : DEFAULT_MAX_LEN;

	if ((c->type == COL_UUID && !fs_is_uuid(s)) || (c->type == COL_DATE && !fs_is_date(s))
	    || (c->type == COL_TIMESTAMP && !fs_is_timestamp(s)))
		return fs_error_set(err, ERR_INVALID_FORMAT, c->name, "%s must be %s, not \"%.40s\"",
		    c->name, type_word(c->type), s);
	if (c->type == COL_ENUM) {
		char allowed[200] = "";
		for (const char *const *e = c->values; *e; e++) {
			if (strcmp(*e, s) == 0)
				return FS_OK;
			strncat(allowed, e == c->values ? "" : ", ", sizeof(allowed) - strlen(allowed) - 1);
			strncat(allowed, *e, sizeof(allowed) - strlen(allowed) - 1);
		}
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s must be one of: %s",
		    c->name, allowed);
	}
	if (c->type == COL_TEXT && strlen(s) > (size_t)max)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s is longer than %d bytes",
		    c->name, max);
	return FS_OK;
}

/* Checks one field V of column C. */
static enum fs_code
check_value(const struct fs_column *c, const cJSON *v, struct fs_error *err)
{
	if (cJSON_IsNull(v)) {
		if (c->flags & COL_REQUIRED)
			return fs_error_set(err, ERR_MISSING_FIELD, c->name, "%s is required", c->name);
		return FS_OK;
	}
	if (!json_type_fits(c->type, v))
		return fs_error_set(err, ERR_INVALID_TYPE, c->name, "%s must be %s", c->name,
		    type_word(c->type));
	if (cJSON_IsNumber(v))
		return check_range(c, v, err);
	if (cJSON_IsString(v))
		return check_string(c, v, err);
	return FS_OK;
}

/* Adds the declared default of C to ROW when the field is absent or null. */
static enum fs_code
apply_default(const struct fs_column *c, cJSON *row, struct fs_error *err)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(row, c->name);
	cJSON *d;

	if (!c->dflt || (v && !cJSON_IsNull(v)))
		return FS_OK;
	d = c->type == COL_INT ? cJSON_CreateNumber(strtod(c->dflt, NULL))
	    : cJSON_CreateString(c->dflt);
	if (!d || !(v ? cJSON_ReplaceItemInObjectCaseSensitive(row, c->name, d)
	    : cJSON_AddItemToObject(row, c->name, d))) {
		cJSON_Delete(d);
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	return FS_OK;
}

/* Checks that every required column of RES is present in ROW (create only). */
static enum fs_code
check_required(const struct fs_resource *res, const cJSON *row, struct fs_error *err)
{
	const struct fs_column *branch = fs_resource_column(res, "branch");

	if (!cJSON_GetObjectItemCaseSensitive(row, "branch"))
		return fs_error_set(err, ERR_MISSING_FIELD, branch->name, "branch is required");
	for (const struct fs_column *c = res->columns; c->name; c++)
		if ((c->flags & COL_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(row, c->name))
			return fs_error_set(err, ERR_MISSING_FIELD, c->name, "%s is required", c->name);
	return FS_OK;
}

enum fs_code
fs_validate_row(const struct fs_resource *res, cJSON *row, enum fs_write_kind kind,
    struct fs_error *err)
{
	cJSON *v, *next;
	enum fs_code rc;

	if (!cJSON_IsObject(row))
		return fs_error_set(err, ERR_INVALID_TYPE, NULL, "each row must be a JSON object");
	for (v = row->child; v; v = next) {
		const struct fs_column *c = fs_resource_column(res, v->string);
		next = v->next;
		if (!c)
			return fs_error_set(err, ERR_UNKNOWN_FIELD, v->string,
			    "%s has no field \"%.60s\"", res->path, v->string);
		if ((rc = check_value(c, v, err)) != FS_OK)
			return rc;
		/* The server owns these; a client echoing a row back must not be refused. */
		if (strcmp(v->string, "created_at") == 0 || strcmp(v->string, "updated_at") == 0
		    || (kind == FS_CREATE && strcmp(v->string, "version") == 0))
			cJSON_Delete(cJSON_DetachItemViaPointer(row, v));
	}
	if (kind == FS_UPDATE)
		return FS_OK;
	if ((rc = check_required(res, row, err)) != FS_OK)
		return rc;
	for (const struct fs_column *c = res->columns; c->name; c++)
		if ((rc = apply_default(c, row, err)) != FS_OK)
			return rc;
	return FS_OK;
}
