/*
 * fs_ifmatch.h - the version a write expects, as the If-Match header sends it: "3", W/"3",
 * 3 (quotes optional), or * for any version.
 */
#ifndef FS_IFMATCH_H
#define FS_IFMATCH_H

#include <stddef.h>

#include "fs_error.h"

/*
 * Reads VALUE, an If-Match header (NULL when absent), into VERSION (SIZE bytes, at least
 * 10): its digits, or "" when absent or "*". FS_OK, or ERR_INVALID_PARAMETER (field
 * "If-Match") for anything but 1 to 9 digits, with VERSION "".
 */
enum fs_err fs_ifmatch_parse(const char *value, char *version, size_t size, struct fs_error *err);

#endif
