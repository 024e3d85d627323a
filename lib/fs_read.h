/*
 * fs_read.h - GET and HEAD on a resource: one row by ?id=, or a keyset page of a list
 * with a Link header to the next page.
 */
#ifndef FS_READ_H
#define FS_READ_H

#include "fs_worker.h"

/* Fills REQ's answer (or error) for a GET or HEAD on the resource of W. */
void fs_read_handle(struct fs_worker *w, struct fs_request *req);

#endif
