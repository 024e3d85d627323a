/*
 * fs_json.h - request bodies taken exactly: one JSON value, valid UTF-8, no NUL, no key
 * given twice, and every number kept as the text it was sent as.
 *
 * cJSON reads numbers into doubles, which would round 9999999999.989999999 to
 * 9999999999.99 before any check saw it. fs_json_parse() therefore replaces each number
 * with a raw node holding its literal, so checks read the digits that were sent and the
 * database receives exactly them.
 */
#ifndef FS_JSON_H
#define FS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "fs_error.h"

/*
 * Parses BODY (LEN bytes) as one JSON value, numbers as raw literals (see above).
 * Returns the tree (the caller cJSON_Delete()s it) or NULL with ERR set: 400
 * malformed_json for an empty body, invalid UTF-8, a NUL, a repeated key, bad syntax
 * or bytes after the value.
 */
cJSON *fs_json_parse(const char *body, size_t len, struct fs_error *err);

/* Whether V is a number: a literal kept by fs_json_parse(), or a cJSON number. */
bool fs_json_is_number(const cJSON *v);

/*
 * The text of the number V: the literal as sent, or the shortest form of a cJSON number
 * written into BUF (SIZE bytes). NULL when V is no number.
 */
const char *fs_json_number_text(const cJSON *v, char *buf, size_t size);

/* Replaces the item V of PARENT with a raw number literal TEXT, keeping its key. */
enum fs_code fs_json_set_number(cJSON *parent, cJSON *v, const char *text, struct fs_error *err);

/* V printed without whitespace, in memory the caller frees with free(); NULL when out of memory. */
char *fs_json_print(const cJSON *v);

#endif
