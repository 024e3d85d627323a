/* fs_rowjson.c - row_to_json()'s output from a row's text columns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_rowjson.h"

/* Type OIDs (PostgreSQL's pg_type.dat: fixed since forever). */
#define BOOLOID 16
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define JSONOID 114
#define FLOAT4OID 700
#define FLOAT8OID 701
#define TIMESTAMPOID 1114
#define TIMESTAMPTZOID 1184
#define NUMERICOID 1700
#define JSONBOID 3802


/* Room in T for N more bytes; false (T failed) when there is none. */
static bool
reserve(struct fs_text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *p;

	if (t->failed)
		return false;
	if (t->len + n <= t->cap)
		return true;
	while (cap < t->len + n)
		cap *= 2;
	if (!(p = realloc(t->p, cap))) {
		t->failed = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void
fs_text_add(struct fs_text *t, const char *s, size_t n)
{
	if (!reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

void
fs_text_cut(struct fs_text *t, size_t len)
{
	if (len < t->len)
		t->len = len;
}

/* Writes N bytes at S to O; returns the end. */
static char *
put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/* Writes S to O as a JSON string, escaped as PostgreSQL's escape_json() does; returns the end. */
static char *
put_string(char *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= ' ' && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '"': case '\\': *o++ = (char)c; break;
		default:
			o = put(o, "u00", 3);
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o++ = '"';
	return o;
}

/*
 * Writes a timestamp's text ("2026-12-01 14:14:18.52+00") to O as JSON
 * ("2026-12-01T14:14:18.52+00:00"); anything else (infinity) as it is, quoted, as PostgreSQL
 * does. Returns the end.
 */
static char *
put_timestamp(char *o, const char *s, size_t len, bool zoned)
{
	const char *zone = NULL;

	if (len < 19 || s[10] != ' ')
		return put_string(o, s);
	if (zoned)
		zone = strpbrk(s + 19, "+-");
	*o++ = '"';
	o = put(o, s, 10);
	*o++ = 'T';
	o = put(o, s + 11, len - 11);
	if (zone && strlen(zone) == 3)
		o = put(o, ":00", 3);
	*o++ = '"';
	return o;
}

/* Whether a number's text is a JSON number: not NaN, Infinity or -Infinity. */
static bool
json_number(const char *s)
{
	return strpbrk(s, "NI") == NULL;
}

/* The most bytes column C of ROW of R takes as JSON, its name too (every byte escaped as \u00XX). */
static size_t
most_bytes(const PGresult *r, int row, int c)
{
	return 6 * (strlen(PQfname(r, c)) + (size_t)PQgetlength(r, row, c)) + 16;
}

void
fs_rowjson_write(struct fs_text *t, const PGresult *r, int row, int ncols)
{
	size_t most = 2;
	char *o;

	for (int c = 0; c < ncols; c++)
		most += most_bytes(r, row, c);
	if (!reserve(t, most))
		return;
	o = t->p + t->len;
	*o++ = '{';
	for (int c = 0; c < ncols; c++) {
		const char *v = PQgetvalue(r, row, c);
		size_t len = (size_t)PQgetlength(r, row, c);
		Oid type = PQftype(r, c);

		if (c > 0)
			*o++ = ',';
		o = put_string(o, PQfname(r, c));
		*o++ = ':';
		if (PQgetisnull(r, row, c))
			o = put(o, "null", 4);
		else if (type == INT2OID || type == INT4OID || type == INT8OID || type == JSONOID
		    || type == JSONBOID)
			o = put(o, v, len);
		else if (type == NUMERICOID || type == FLOAT4OID || type == FLOAT8OID)
			o = json_number(v) ? put(o, v, len) : put_string(o, v);
		else if (type == BOOLOID)
			o = v[0] == 't' ? put(o, "true", 4) : put(o, "false", 5);
		else if (type == TIMESTAMPOID || type == TIMESTAMPTZOID)
			o = put_timestamp(o, v, len, type == TIMESTAMPTZOID);
		else
			o = put_string(o, v);
	}
	*o++ = '}';
	t->len = (size_t)(o - t->p);
}
