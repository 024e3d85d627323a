/*
 * fs_read.h - GET and HEAD on a resource: one row by ?id=, or a keyset page of a list
 * with a Link header to the next page.
 */
#ifndef FS_READ_H
#define FS_READ_H

#include "fs_worker.h"

/*
 * Fills REQ's answer (or error) for a GET or HEAD on the resource of W. While W is
 * deferring, a GET by id may instead be left in flight (req->deferred): the loop sends it
 * behind those already at the database (fs_read_send), reads on while they run, and takes
 * the answers as they come (fs_read_take, fs_read_answered), oldest first.
 */
void fs_read_handle(struct fs_worker *w, struct fs_request *req);

/* The slot, below FS_DEFERRED, of the next request's storage: one no deferred GET holds. */
int fs_read_spare(const struct fs_worker *w);

/* Sends the deferred GETs not yet sent, as one group behind those in flight. */
void fs_read_send(struct fs_worker *w);

/* The socket the results in flight come on, or -1 when none is. */
int fs_read_socket(const struct fs_worker *w);

/* Takes the results that came, oldest first; WAIT: each one in flight (blocks). */
void fs_read_take(struct fs_worker *w, bool wait);

/*
 * The oldest deferred GET once its result was taken, with its answer (or error) filled, and
 * no longer deferred; one whose result failed is run on its own first, as without deferring.
 * NULL when there is none, or its result has not come.
 */
struct fs_request *fs_read_answered(struct fs_worker *w);

#endif
