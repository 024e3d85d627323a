/*
 * fs_formats.h - the text formats the API accepts for uuids, dates and timestamps.
 *
 * PostgreSQL is the final judge of every value; these checks run first so that a bad
 * value is answered with the name of the field it came in.
 */
#ifndef FS_FORMATS_H
#define FS_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether S is a uuid in its 8-4-4-4-12 hexadecimal form. */
bool fs_is_uuid(const char *s);

/* Whether S is a calendar date YYYY-MM-DD that exists (no 2025-02-30). */
bool fs_is_date(const char *s);

/*
 * Whether S is an ISO 8601 timestamp: a date, 'T' or ' ', HH:MM[:SS[.fraction]],
 * then optionally 'Z' or an offset ±HH[:MM].
 */
bool fs_is_timestamp(const char *s);

/* Whether the N bytes at S are valid UTF-8 (RFC 3629: no overlong form, no surrogate). */
bool fs_is_utf8(const char *s, size_t n);

/*
 * Makes the string S valid UTF-8 in place: each invalid byte becomes '?', and a
 * character cut short at the end (a message truncated mid-character) is dropped.
 */
void fs_utf8_clean(char *s);

#endif
