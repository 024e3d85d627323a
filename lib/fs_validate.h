/*
 * fs_validate.h - the shape of a written row, checked against the resource declaration.
 *
 * The C side checks what PostgreSQL cannot name well: JSON types, unknown and missing
 * fields, formats, enum sets, ranges and sizes. The database's own constraints remain the
 * truth for everything else (foreign keys, cross-field rules, uniqueness).
 */
#ifndef FS_VALIDATE_H
#define FS_VALIDATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "fs_error.h"
#include "fs_resource.h"

enum fs_write_kind { FS_CREATE, FS_UPDATE };

/* The column NAME of RES (domain columns, branch, id, created_at, updated_at, version), or NULL. */
const struct fs_column *fs_resource_column(const struct fs_resource *res, const char *name);

/* Whether NAME is a column the server sets (id, created_at, updated_at, version). */
int fs_column_is_system(const char *name);

/*
 * Parses BODY (LEN bytes, NUL-terminated) as JSON, requiring the whole buffer to be
 * one value. Returns the tree (the caller cJSON_Delete()s it) or NULL with ERR set.
 */
cJSON *fs_json_parse(const char *body, size_t len, struct fs_error *err);

/*
 * Checks ROW, a JSON object, for a create or an update of RES. On success it is left
 * ready to send to the database: created_at and updated_at are dropped (the server
 * sets them), on create so is version, and absent fields with a declared default get it.
 * Returns FS_OK or the code set in ERR.
 */
enum fs_code fs_validate_row(const struct fs_resource *res, cJSON *row, enum fs_write_kind kind,
    struct fs_error *err);

#endif
