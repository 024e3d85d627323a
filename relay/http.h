/*
 * http.h - the relay's HTTP side over libevent's evhttp: GET /events (a stream),
 * GET /events/health (readiness), JSON errors in the API's shape for everything else.
 */
#ifndef RELAY_HTTP_H
#define RELAY_HTTP_H

#include "relay.h"

/* Serves HTTP on the listening socket FD (taken over) from r->base. 0, or -1 (logged). */
int http_open(struct relay *r, int fd);

/* Serves the same HTTP on one more listening socket FD (taken over). 0, or -1 (logged). */
int http_accept(struct relay *r, int fd);

/* Stops accepting and closes every connection and stream. */
void http_close(struct relay *r);

#endif
