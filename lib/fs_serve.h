/*
 * fs_serve.h - the one way into a resource binary, whatever started it.
 *
 *   X.fcgi --socket PATH [--workers N]  standalone: a pre-forking supervisor on a unix
 *                                       socket (or :PORT / HOST:PORT), restarting workers
 *   X.fcgi   (fd 0 a listening socket)  under spawn-fcgi, mod_fcgid or a hosting panel
 *   X.fcgi   (anything else)            plain CGI: one request, then exit
 *
 *   X.fcgi --describe                   print the declaration as JSON (fs_describe.h)
 *
 * All three serving modes end in the same request loop: the handler fills the answer,
 * the loop sends it once. The config is --config FILE, else FIELDSYNC_CONF from the
 * environment; a FastCGI process with neither (mod_fcgid's: SetEnv in .htaccess reaches only
 * the requests) loads the one its first request's FIELDSYNC_CONF parameter names.
 */
#ifndef FS_SERVE_H
#define FS_SERVE_H

#include "fs_resource.h"

/* Runs the binary for RES as its arguments and environment say; returns the exit status. */
int fs_serve(int argc, char **argv, const struct fs_resource *res);

/* Runs changes.fcgi, the changes feed (fs_changes.h), the same ways. */
int fs_serve_changes(int argc, char **argv);

/* Runs session.fcgi, /api/session (fs_session.h): sign in, who am I, sign out. */
int fs_serve_session(int argc, char **argv);

/* Runs users.fcgi, /api/users (fs_users.h): the accounts, for admins. */
int fs_serve_users(int argc, char **argv);

/* Runs metrics.fcgi, /api/metrics (fs_metrics.h): every pool's counters, Prometheus text. */
int fs_serve_metrics(int argc, char **argv);

/* Runs health.fcgi, /api/health (fs_health.h): the database, its schema, every service. */
int fs_serve_health(int argc, char **argv);

#endif
