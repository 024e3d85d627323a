/*
 * log.h - the relay's log lines, through lib/fs_log.h (timestamp, level, "fieldsync-relay").
 */
#ifndef RELAY_LOG_H
#define RELAY_LOG_H

#include "fs_log.h"

/*
 * Logs one line at level warn: most of its callers report a problem. Code that knows
 * its level calls fs_log(FS_LOG_ERROR | FS_LOG_WARN | FS_LOG_INFO, ...) instead.
 */
void relay_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
