/*
 * fs_validate.h - the shape of a written row, checked against the resource declaration.
 *
 * The C side checks what PostgreSQL cannot name well: JSON types, unknown and missing
 * fields, formats, enum sets, ranges, digits and sizes. The database's own constraints
 * remain the truth for everything else (foreign keys, cross-field rules, uniqueness).
 */
#ifndef FS_VALIDATE_H
#define FS_VALIDATE_H

#include <cjson/cJSON.h>

#include "fs_error.h"
#include "fs_resource.h"

enum fs_write_kind { FS_CREATE, FS_UPDATE };

/*
 * Checks ROW, a JSON object from fs_json_parse(), for a create or an update of RES. On
 * success it is left ready to send to the database: the columns the server sets are
 * dropped (created_at, updated_at, created_by, updated_by; version on create), money sent as a decimal
 * string becomes that number, and absent fields with a declared default get it.
 * Returns FS_OK or the code set in ERR.
 */
enum fs_err fs_validate_row(const struct fs_resource *res, cJSON *row, enum fs_write_kind kind,
    struct fs_error *err);

#endif
