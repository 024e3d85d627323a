/*
 * resources.h - the resources the fuzz targets check input against: every cgi-bin
 * declaration as shipped (declaration.c), found by path.
 */
#ifndef FUZZ_RESOURCES_H
#define FUZZ_RESOURCES_H

#include <stddef.h>

#include "fs_resource.h"

/* The resource whose path is the LEN bytes at PATH, or NULL. */
const struct fs_resource *fuzz_resource(const char *path, size_t len);

/* The I-th resource (0 to fuzz_nresources - 1), sorted by table name. */
const struct fs_resource *fuzz_resource_at(size_t i);
extern const size_t fuzz_nresources;

/*
 * Splits the input DATA (SIZE bytes) at its first newline: the header line before it into
 * *LINE and *LINE_LEN, the rest into a new NUL-terminated string (the caller frees it).
 * NULL when there is no newline or out of memory.
 */
char *fuzz_split(const unsigned char *data, size_t size, const char **line, size_t *line_len);

/* Aborts with a message on stderr when COND is false: an invariant the target checks. */
#define fuzz_assert(cond, what) ((cond) ? (void)0 : fuzz_fail((what), __FILE__, __LINE__))
void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));

/* Aborts unless the error JSON of ERR is valid JSON: a 4xx body must always be. */
struct fs_error;
void fuzz_check_error_json(const struct fs_error *err);

#endif
