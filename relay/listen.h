/*
 * listen.h - the relay's listening socket: "unix:/path" or "host:port" ("[v6]:port").
 */
#ifndef RELAY_LISTEN_H
#define RELAY_LISTEN_H

#include <stddef.h>

/*
 * Opens a non-blocking listening socket on ADDR. A Unix socket replaces a stale file of
 * the same name (refusing when something still answers there) and gets mode 0660; its path
 * is copied to PATH (else PATH is made empty) so the caller can remove it at exit.
 * Returns the descriptor, or -1 (logged).
 */
int listen_open(const char *addr, char *path, size_t path_size);

#endif
