/* test-rowjson.c - a row's JSON from its text columns, as PostgreSQL's row_to_json makes it. */
#include <stdlib.h>
#include <string.h>

#include "fs_rowjson.h"
#include "tap.h"

/* A one-row result of one column of type OID holding TEXT (NULL: SQL NULL). */
static PGresult *
one_value(unsigned oid, const char *text)
{
	PGresAttDesc att = { .name = "v", .typid = oid, .typlen = -1, .atttypmod = -1 };
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	if (!r || !PQsetResultAttrs(r, 1, &att)
	    || !PQsetvalue(r, 0, 0, (char *)text, text ? (int)strlen(text) : -1)) {
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The JSON of one column of type OID holding TEXT (static buffer). */
static const char *
json_of(unsigned oid, const char *text)
{
	static char out[512];
	PGresult *r = one_value(oid, text);
	struct fs_text t = { 0 };

	if (!r)
		return "(failed)";
	fs_rowjson_write(&t, r, 0, 1);
	PQclear(r);
	if (t.failed) {
		free(t.p);
		return "(out of memory)";
	}
	snprintf(out, sizeof(out), "%.*s", (int)t.len, t.p);
	free(t.p);
	return out;
}

int
main(void)
{
	is_str(json_of(25, "plain"), "{\"v\":\"plain\"}", "text is a string");
	is_str(json_of(25, NULL), "{\"v\":null}", "NULL is null");
	is_str(json_of(25, "q\"b\\s/"), "{\"v\":\"q\\\"b\\\\s/\"}", "quote and backslash escaped, slash not");
	is_str(json_of(25, "a\nb\tc\rd\be\ff"), "{\"v\":\"a\\nb\\tc\\rd\\be\\ff\"}", "the short escapes");
	is_str(json_of(25, "\x01\x1f"), "{\"v\":\"\\u0001\\u001f\"}", "other control characters as \\u00XX");
	is_str(json_of(25, "Zoë 🚚"), "{\"v\":\"Zoë 🚚\"}", "UTF-8 as it is");
	is_str(json_of(23, "-42"), "{\"v\":-42}", "integer as a number");
	is_str(json_of(1700, "1234567890.12"), "{\"v\":1234567890.12}", "numeric as a number");
	is_str(json_of(1700, "NaN"), "{\"v\":\"NaN\"}", "numeric NaN as a string");
	is_str(json_of(701, "-Infinity"), "{\"v\":\"-Infinity\"}", "double -Infinity as a string");
	is_str(json_of(701, "-33.924868"), "{\"v\":-33.924868}", "double as a number");
	is_str(json_of(16, "t"), "{\"v\":true}", "boolean t is true");
	is_str(json_of(16, "f"), "{\"v\":false}", "boolean f is false");
	is_str(json_of(3802, "{\"a\": [1, 2]}"), "{\"v\":{\"a\": [1, 2]}}", "jsonb as it is");
	is_str(json_of(1082, "2026-12-01"), "{\"v\":\"2026-12-01\"}", "date as a string");
	is_str(json_of(2950, "0509905b-a6c7-435a-9a6a-191007aeb54c"),
	    "{\"v\":\"0509905b-a6c7-435a-9a6a-191007aeb54c\"}", "uuid as a string");
	is_str(json_of(1184, "2026-12-01 14:14:18.520443+00"),
	    "{\"v\":\"2026-12-01T14:14:18.520443+00:00\"}", "timestamptz: T and a whole +00:00");
	is_str(json_of(1184, "2026-12-01 19:44:18+05:30"), "{\"v\":\"2026-12-01T19:44:18+05:30\"}",
	    "timestamptz with minutes in its offset");
	is_str(json_of(1184, "2026-12-01 09:14:18.5-05"), "{\"v\":\"2026-12-01T09:14:18.5-05:00\"}",
	    "timestamptz west of Greenwich");
	is_str(json_of(1184, "infinity"), "{\"v\":\"infinity\"}", "timestamptz infinity as it is");
	is_str(json_of(1114, "2026-12-01 14:14:18"), "{\"v\":\"2026-12-01T14:14:18\"}",
	    "timestamp without zone: T only");
	{
		struct fs_text t = { 0 };

		fs_text_add(&t, "abc", 3);
		fs_text_cut(&t, 1);
		fs_text_add(&t, "z", 1);
		ok(t.len == 2 && memcmp(t.p, "az", 2) == 0, "a text cut back and written on");
		free(t.p);
	}
	return done_testing();
}
