/*
 * filter.h - the types= filter of a stream: a comma-separated list of event types, each
 * exact ("appointments:create") or a table's every action ("clients:*"); "*" is every type.
 */
#ifndef RELAY_FILTER_H
#define RELAY_FILTER_H

#include <stddef.h>

/*
 * Checks the list TYPES (at most 1000 bytes; entries of lowercase letters and "_", a ":",
 * then an action or "*"). Returns a copy the caller owns (free() it), or NULL when TYPES is
 * malformed or memory ran out (*MALFORMED tells which).
 */
char *filter_parse(const char *types, int *malformed);

/* Whether event type TYPE (LEN bytes) passes FILTER; a NULL FILTER passes everything. */
int filter_match(const char *filter, const char *type, size_t len);

#endif
