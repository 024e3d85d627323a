/*
 * fs_health.h - GET /api/health (cgi-bin/health.fcgi): is the service up, for load
 * balancers, monitors and an admin with curl. No session needed, nothing secret said.
 *
 *   200 {"status":"ok","database":"ok","schema":{"database":"010","build":"010"},
 *        "services":{"clients":"up",...,"relay":"up"}}
 *   503 the same document with what is not: "database":"unavailable", a schema behind
 *       ("status":"schema_outdated") or ahead ("schema_newer"), a service "down"
 *       (nothing listens on its socket) or "busy" (its backlog is full).
 *
 * The database is asked on every request (the newest migration applied); the services are
 * the sockets beside this one's own (every pool and the relay listen in one folder), each
 * connected to and closed at once. Run as plain CGI or on TCP there is no such folder and
 * "services" is left out.
 */
#ifndef FS_HEALTH_H
#define FS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "fs_worker.h"

/* Answers REQ, a request to /api/health. */
void fs_health_handle(struct fs_worker *w, struct fs_request *req);

/*
 * The folder of the unix socket FD listens on into DIR, and the socket's own name into SELF
 * (both SIZE bytes); false on TCP or for a socket without a path. Every pool and the relay
 * listen in one folder: what /api/health and /api/metrics look through.
 */
bool fs_socket_folder(int fd, char *dir, char *self, size_t size);

/* The service's init (fs_service.init): its statement. FS_OK or ERR_INTERNAL. */
enum fs_err fs_health_init(struct fs_worker *w);

#endif
