/* fs_validate.c - the column-table checks of a written row. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "fs_json.h"
#include "fs_model.h"
#include "fs_validate.h"

/* The JSON type word for an error message about column type T. */
static const char *
type_word(enum fs_coltype t)
{
	static const char *const words[COL__MAX] = {
		[COL_TEXT] = "a string", [COL_ENUM] = "a string", [COL_UUID] = "a uuid string",
		[COL_DATE] = "a date string (YYYY-MM-DD)",
		[COL_TIMESTAMP] = "a timestamp string (ISO 8601)", [COL_INT] = "an integer",
		[COL_NUMERIC] = "a number or a decimal string such as \"1500.50\"",
		[COL_DOUBLE] = "a number", [COL_OBJECT] = "an object", [COL_ARRAY] = "an array",
	};
	return words[t];
}

/* Whether S is a plain decimal: an optional minus, digits, and optionally a point and digits. */
static bool
is_decimal(const char *s)
{
	size_t n;

	if (*s == '-')
		s++;
	if ((n = strspn(s, "0123456789")) == 0)
		return false;
	s += n;
	if (*s == '.' && (n = strspn(s + 1, "0123456789")) > 0)
		s += 1 + n;
	return *s == '\0';
}

/*
 * Drops the leading zeros of the whole part of the decimal S (is_decimal), in place: "007.50"
 * is 7.50 and "000.5" 0.5, and so a JSON number (which allows no leading zero).
 */
static void
drop_leading_zeros(char *s)
{
	char *p = s + (*s == '-'), *q = p;

	while (q[0] == '0' && q[1] >= '0' && q[1] <= '9')
		q++;
	if (q != p)
		memmove(p, q, strlen(q) + 1);
}

/* The digits of the literal TEXT before and after its point, with the exponent applied. */
static void
count_digits(const char *text, long *before, long *after)
{
	const char *p = text + (*text == '-'), *e = strpbrk(p, "eE"), *dot = strchr(p, '.');
	long exp = e ? strtol(e + 1, NULL, 10) : 0;
	size_t mantissa = e ? (size_t)(e - p) : strlen(p);
	long frac = dot && (size_t)(dot - p) < mantissa ? (long)(mantissa - (size_t)(dot - p) - 1) : 0;
	long whole = (long)mantissa - frac - (frac > 0 || (dot && (size_t)(dot - p) < mantissa));

	/*
	 * strtol makes 1e99999999999999999999 LONG_MAX, and whole + exp would overflow. An
	 * exponent bounded far beyond any body's digits gives the same answers, without that.
	 */
	if (exp > LONG_MAX / 4)
		exp = LONG_MAX / 4;
	if (exp < -(LONG_MAX / 4))
		exp = -(LONG_MAX / 4);

	/* Leading zeros of the whole part are not significant (0.5, 007). */
	while (whole > 0 && *p == '0') {
		p++;
		whole--;
	}
	*after = frac - exp > 0 ? frac - exp : 0;
	*before = whole + exp > 0 ? whole + exp : 0;
}

/* Whether V is a number without a fractional part (45, 4.5e1; not 45.5). */
static bool
is_integral(const cJSON *v)
{
	char buf[64];
	const char *text = fs_json_number_text(v, buf, sizeof(buf));
	long before, after;

	if (!text)
		return false;
	count_digits(text, &before, &after);
	return after == 0;
}

/* Whether the JSON type of V fits column type T. */
static bool
json_type_fits(enum fs_coltype t, const cJSON *v)
{
	switch (t) {
	case COL_NUMERIC:
		return fs_json_is_number(v) || (cJSON_IsString(v) && is_decimal(v->valuestring));
	case COL_INT:
		return is_integral(v);
	case COL_DOUBLE:
		return fs_json_is_number(v);
	case COL_OBJECT:
		return cJSON_IsObject(v);
	case COL_ARRAY:
		return cJSON_IsArray(v);
	default:
		return cJSON_IsString(v);
	}
}

/* Checks the number TEXT (its literal) against C's range, digits and scale. */
static enum fs_err
check_number(const struct fs_column *c, const char *text, struct fs_error *err)
{
	double d = strtod(text, NULL);
	long before, after;

	count_digits(text, &before, &after);
	if (c->scale && after > c->scale)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name,
		    "%s has more than %d decimal places", c->name, c->scale);
	if (c->precision && before > c->precision - c->scale)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name,
		    "%s has more than %d digits before the decimal point", c->name,
		    c->precision - c->scale);
	if (c->flags & COL_HAS_MIN) {
		bool low = (c->flags & COL_MIN_EXCLUSIVE) ? d <= c->min : d < c->min;
		if (low)
			return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s must be %s %g",
			    c->name, (c->flags & COL_MIN_EXCLUSIVE) ? "greater than" : "at least", c->min);
	}
	if ((c->flags & COL_HAS_MAX) && d > c->max)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s must be at most %.15g",
		    c->name, c->max);
	if (c->type == COL_INT && (d < -2147483648.0 || d > 2147483647.0))
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s is out of range", c->name);
	if (c->type == COL_DOUBLE && (d != d || d - d != 0))	/* NaN or infinite */
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s is out of range", c->name);
	return FS_OK;
}

/* Checks a string value V of column C: format, enum set, length. */
static enum fs_err
check_string(const struct fs_column *c, const cJSON *v, struct fs_error *err)
{
	const char *s = v->valuestring;

	if ((c->type == COL_UUID && !fs_is_uuid(s)) || (c->type == COL_DATE && !fs_is_date(s))
	    || (c->type == COL_TIMESTAMP && !fs_is_timestamp(s)))
		return fs_error_set(err, ERR_INVALID_FORMAT, c->name, "%s must be %s, not \"%.40s\"",
		    c->name, type_word(c->type), s);
	if (c->type == COL_ENUM && !fs_model_enum_has(c, s)) {
		char allowed[200] = "";
		for (const char *const *e = c->values; *e; e++) {
			strncat(allowed, e == c->values ? "" : ", ", sizeof(allowed) - strlen(allowed) - 1);
			strncat(allowed, *e, sizeof(allowed) - strlen(allowed) - 1);
		}
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s must be one of: %s",
		    c->name, allowed);
	}
	if (c->type == COL_TEXT && strlen(s) > (size_t)fs_model_max_len(c))
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s is longer than %d bytes",
		    c->name, fs_model_max_len(c));
	if (c->type == COL_TEXT && (c->flags & COL_REQUIRED) && *s == '\0' && c->rule)
		return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s %s", c->name, c->rule);
	return FS_OK;
}

/* Checks one field V of column C in ROW; money as a decimal string becomes a number. */
static enum fs_err
check_value(const struct fs_column *c, cJSON *row, cJSON *v, struct fs_error *err)
{
	char buf[64];
	const char *text;
	enum fs_err rc;

	if (cJSON_IsNull(v)) {
		if (c->flags & COL_REQUIRED)
			return fs_error_set(err, ERR_MISSING_FIELD, c->name, "%s is required", c->name);
		return FS_OK;
	}
	if (!json_type_fits(c->type, v))
		return fs_error_set(err, ERR_INVALID_TYPE, c->name, "%s must be %s", c->name,
		    type_word(c->type));
	if (cJSON_IsString(v) && c->type == COL_NUMERIC) {
		if ((rc = check_number(c, v->valuestring, err)) != FS_OK)
			return rc;
		drop_leading_zeros(v->valuestring);
		return fs_json_set_number(row, v, v->valuestring, err);
	}
	if ((text = fs_json_number_text(v, buf, sizeof(buf))) != NULL)
		return check_number(c, text, err);
	if (cJSON_IsString(v))
		return check_string(c, v, err);
	return FS_OK;
}

/* Adds the declared default of C to ROW when the field is absent or null. */
static enum fs_err
apply_default(const struct fs_column *c, cJSON *row, struct fs_error *err)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(row, c->name);
	cJSON *d;

	if (!c->dflt || (v && !cJSON_IsNull(v)))
		return FS_OK;
	d = c->type == COL_INT ? cJSON_CreateRaw(c->dflt) : cJSON_CreateString(c->dflt);
	if (!d || !(v ? cJSON_ReplaceItemInObjectCaseSensitive(row, c->name, d)
	    : cJSON_AddItemToObject(row, c->name, d))) {
		cJSON_Delete(d);
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	return FS_OK;
}

/* Checks that every required column of RES is present in ROW (create only). */
static enum fs_err
check_required(const struct fs_resource *res, const cJSON *row, struct fs_error *err)
{
	for (const struct fs_column *c = fs_model_leading; c->name; c++)
		if ((c->flags & COL_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(row, c->name))
			return fs_error_set(err, ERR_MISSING_FIELD, c->name, "%s is required", c->name);
	for (const struct fs_column *c = res->columns; c->name; c++)
		if ((c->flags & COL_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(row, c->name))
			return fs_error_set(err, ERR_MISSING_FIELD, c->name, "%s is required", c->name);
	return FS_OK;
}

enum fs_err
fs_validate_row(const struct fs_resource *res, cJSON *row, enum fs_write_kind kind,
    struct fs_error *err)
{
	cJSON *v, *next;
	enum fs_err rc;

	if (!cJSON_IsObject(row))
		return fs_error_set(err, ERR_INVALID_TYPE, NULL, "each row must be a JSON object");
	for (v = row->child; v; v = next) {
		const struct fs_column *c = fs_model_column(res, v->string);
		next = v->next;
		if (!c)
			return fs_error_set(err, ERR_UNKNOWN_FIELD, v->string,
			    "%s has no field \"%.60s\"", res->path, v->string);
		if ((rc = check_value(c, row, v, err)) != FS_OK)
			return rc;
		/* The server owns these; a client echoing a row back must not be refused. PUT reads
		 * version as its optimistic check. */
		if ((c->flags & COL_READONLY) && !(kind == FS_UPDATE && strcmp(c->name, "version") == 0))
			cJSON_Delete(cJSON_DetachItemViaPointer(row,
			    cJSON_GetObjectItemCaseSensitive(row, c->name)));
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
