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

#include <stdio.h>

#include <libpq-fe.h>

/* Writes row ROW of R, its first NCOLS columns, to F as one JSON object. 0, or -1 on a write error. */
int fs_rowjson_write(FILE *f, const PGresult *r, int row, int ncols);

#endif
