/*
 * fs_rowjson.h - a row of a libpq result as the JSON object PostgreSQL's row_to_json()
 * makes of it, byte for byte, from the columns' text.
 *
 * PostgreSQL's row_to_json() looks up every column's type again for every row; for a page
 * of 100 rows that was two thirds of the list statement's time (bench/README). The text
 * of each column is what PostgreSQL sends anyway; this turns it into the same JSON:
 * numbers and JSON as they are, booleans true/false, timestamps in ISO 8601 with a T and a
 * whole "+HH:MM" offset (the session's DateStyle is ISO: fs_pg), everything else a string
 * escaped as PostgreSQL escapes it. NULL is null.
 */
#ifndef FS_ROWJSON_H
#define FS_ROWJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* Text that grows as it is written; FAILED once an allocation failed (the text is then cut). */
struct fs_text {
	char *p;	/* owned; not NUL-terminated */
	size_t len, cap;
	bool failed;
};

/* Appends N bytes at S to T. */
void fs_text_add(struct fs_text *t, const char *s, size_t n);

/* Cuts T back to its first LEN bytes (LEN <= its length). */
void fs_text_cut(struct fs_text *t, size_t len);

/* Appends row ROW of R, its first NCOLS columns, to T as one JSON object. */
void fs_rowjson_write(struct fs_text *t, const PGresult *r, int row, int ncols);

#endif
