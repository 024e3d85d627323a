/*
 * fs_serve.h - the one way into a resource binary, whatever started it.
 *
 *   X.fcgi --socket PATH [--workers N]  standalone: a pre-forking supervisor on a unix
 *                                       socket (or :PORT / HOST:PORT), restarting workers
 *   X.fcgi   (fd 0 a listening socket)  under spawn-fcgi, mod_fcgid or a hosting panel
 *   X.fcgi   (anything else)            plain CGI: one request, then exit
 *
 * All three end in the same request loop over fs_engine_handle().
 */
#ifndef FS_SERVE_H
#define FS_SERVE_H

#include "fs_resource.h"

/* Runs the binary for RES as its arguments and environment say; returns the exit status. */
int fs_serve(int argc, char **argv, const struct fs_resource *res);

#endif
