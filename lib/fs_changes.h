/*
 * fs_changes.h - GET /api/changes: the change log as a feed a client catches up from.
 *
 *   GET /api/changes?since=N[&limit=M][&types=clients:*,appointments:create][&branch=B]
 *   -> {"changes": [event payloads in seq order], "next": seq to ask from next, "more": bool}
 *
 * Without `since` it answers only the current position ({"changes": [], "next": head}).
 * A `since` below what retention kept (or above the log's head) is 410 history_gone:
 * the client reloads every resource, then continues from error.head.
 */
#ifndef FS_CHANGES_H
#define FS_CHANGES_H

#include "fs_worker.h"

/* The handler of changes.fcgi: fills REQ's answer (or error); the feed is read-only. */
void fs_changes_handle(struct fs_worker *w, struct fs_request *req);

#endif
