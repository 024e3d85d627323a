/*
 * fs_dispatch.h - the handler of a resource binary: routes each request by its method
 * to the reads (fs_read.h) or the writes (fs_write.h).
 */
#ifndef FS_DISPATCH_H
#define FS_DISPATCH_H

#include "fs_worker.h"

/* Fills REQ's answer (or error) for the resource of W. */
void fs_dispatch(struct fs_worker *w, struct fs_request *req);

#endif
