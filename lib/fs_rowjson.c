/* fs_rowjson.c - row_to_json()'s output from a row's text columns. */
#include <stdbool.h>
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

/* Writes S as a JSON string, escaped the way PostgreSQL's escape_json() does. */
static void
write_string(FILE *f, const char *s)
{
	putc_unlocked('"', f);
	for (; *s; s++) {
		switch (*s) {
		case '\b': fputs_unlocked("\\b", f); break;
		case '\f': fputs_unlocked("\\f", f); break;
		case '\n': fputs_unlocked("\\n", f); break;
		case '\r': fputs_unlocked("\\r", f); break;
		case '\t': fputs_unlocked("\\t", f); break;
		case '"': fputs_unlocked("\\\"", f); break;
		case '\\': fputs_unlocked("\\\\", f); break;
		default:
			if ((unsigned char)*s < ' ')
				fprintf(f, "\\u%04x", (unsigned)*s);
			else
				putc_unlocked(*s, f);
		}
	}
	putc_unlocked('"', f);
}

/*
 * A timestamp's text ("2026-12-01 14:14:18.52+00") as JSON ("2026-12-01T14:14:18.52+00:00").
 * Anything else (infinity) goes as it is, quoted, as PostgreSQL does.
 */
static void
write_timestamp(FILE *f, const char *s, bool zoned)
{
	size_t len = strlen(s);
	const char *zone = NULL;

	if (len < 19 || s[10] != ' ') {
		write_string(f, s);
		return;
	}
	if (zoned)
		zone = strpbrk(s + 19, "+-");
	fprintf(f, "\"%.10sT%s%s\"", s, s + 11, zone && strlen(zone) == 3 ? ":00" : "");
}

/* Whether a number's text is a JSON number: not NaN, Infinity or -Infinity. */
static bool
json_number(const char *s)
{
	return strpbrk(s, "NI") == NULL;
}

int
fs_rowjson_write(FILE *f, const PGresult *r, int row, int ncols)
{
	putc_unlocked('{', f);
	for (int c = 0; c < ncols; c++) {
		const char *v = PQgetvalue(r, row, c);

		if (c > 0)
			putc_unlocked(',', f);
		write_string(f, PQfname(r, c));
		putc_unlocked(':', f);
		if (PQgetisnull(r, row, c)) {
			fputs_unlocked("null", f);
			continue;
		}
		switch (PQftype(r, c)) {
		case INT2OID: case INT4OID: case INT8OID: case JSONOID: case JSONBOID:
			fputs_unlocked(v, f);
			break;
		case NUMERICOID: case FLOAT4OID: case FLOAT8OID:
			if (json_number(v))
				fputs_unlocked(v, f);
			else
				write_string(f, v);
			break;
		case BOOLOID:
			fputs_unlocked(v[0] == 't' ? "true" : "false", f);
			break;
		case TIMESTAMPOID: case TIMESTAMPTZOID:
			write_timestamp(f, v, PQftype(r, c) == TIMESTAMPTZOID);
			break;
		default:
			write_string(f, v);
		}
	}
	putc_unlocked('}', f);
	return ferror(f) ? -1 : 0;
}
