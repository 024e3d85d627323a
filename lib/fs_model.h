/*
 * fs_model.h - lookups over a resource declaration (fs_resource.h): its columns, the
 * common ones every table has, and its filter slots.
 *
 * Every other module asks here instead of walking the declaration itself, so the
 * rules "branch is a column of every table" and "branch is filter slot 0" live once.
 */
#ifndef FS_MODEL_H
#define FS_MODEL_H

#include <stdbool.h>

#include "fs_resource.h"

/* The most filter slots a resource has (branch plus its declared filters). */
#define FS_MAX_FILTERS 9

/* The longest text accepted when a column declares no max_len, in bytes. */
#define FS_DEFAULT_MAX_LEN 1000

/*
 * The common columns every table has: id and branch first, then created_at, updated_at,
 * version, created_by and updated_by.
 */
extern const struct fs_column fs_model_leading[];	/* {NULL} terminated */
extern const struct fs_column fs_model_trailing[];	/* {NULL} terminated */

/* The column NAME of RES, common columns included, or NULL. */
const struct fs_column *fs_model_column(const struct fs_resource *res, const char *name);

/* Whether C is one of the common columns. */
bool fs_model_is_common(const struct fs_column *c);

/* The longest text C accepts, in bytes. */
int fs_model_max_len(const struct fs_column *c);

/* Whether VALUE is one of the values of the COL_ENUM column C. */
bool fs_model_enum_has(const struct fs_column *c, const char *value);

/* The type's name in --describe: "text", "enum", "uuid", … */
const char *fs_model_type_name(enum fs_coltype t);

/* The number of filter slots of RES: the implied branch filter plus the declared ones. */
int fs_model_nfilters(const struct fs_resource *res);

/* The filter in slot I of RES: 0 is the implied branch filter, then the declared ones. */
const struct fs_filter *fs_model_filter(const struct fs_resource *res, int i);

/* The filter kind's name in --describe: "eq", "search", "day", "span". */
const char *fs_model_filter_kind_name(enum fs_filterkind k);

#endif
