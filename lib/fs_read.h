/*
 * fs_read.h - GET and HEAD on a resource: one row by ?id=, or a keyset page of a list
 * with a Link header to the next page.
 */
#ifndef FS_READ_H
#define FS_READ_H

#include "fs_worker.h"

/*
 * Fills REQ's answer (or error) for a GET or HEAD on the resource of W. While W is
 * deferring, a GET by id may instead be left for fs_read_run_deferred (req->deferred).
 */
void fs_read_handle(struct fs_worker *w, struct fs_request *req);

/*
 * Runs W's deferred GETs by id in one round trip to the database and fills each one's answer
 * (or error). Those the round trip could not answer run one by one, as without deferring.
 */
void fs_read_run_deferred(struct fs_worker *w);

#endif
