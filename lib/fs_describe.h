/*
 * fs_describe.h - a resource declaration as JSON, for `<path>.fcgi --describe`.
 *
 * The build turns the binaries' descriptions into everything else that needs resource
 * facts (the nginx locations, the browser library's schema, the test helpers' table),
 * so the cgi-bin declaration stays the only place a resource is described.
 */
#ifndef FS_DESCRIBE_H
#define FS_DESCRIBE_H

#include "fs_error.h"
#include "fs_resource.h"

/*
 * The description of RES as JSON text (the caller frees it with free()):
 * {"kind":"resource","path","table","noun","label","sort","sort_desc","columns":[…],
 *  "filters":[…],"permissions":{}}. NULL when out of memory or an example is not JSON.
 */
char *fs_describe(const struct fs_resource *res);

#endif
