/*
 * fs_session.h - /api/session: signing in, who am I, signing out (cgi-bin/session.c).
 *
 *   POST   {"login","password"} -> 201 {"token","user","expires_at"} + the session cookie
 *   GET    -> 200 {"user","expires_at"}, or 401 unauthenticated
 *   DELETE -> 204, the session row deleted and the cookie cleared
 *
 * A wrong login, a wrong password and a disabled account are the same 401
 * invalid_credentials at about the same cost (an unknown login is verified against a dummy
 * hash made once per process). After login_max_failures failures in a row the account is
 * held off (429 rate_limited, Retry-After) for 1 s, doubling with each further failure up
 * to login_lockout_max; a good sign-in resets the count. One worker process hashes one
 * password at a time, so the pool's size bounds the Argon2 work (64 MiB each) at once.
 */
#ifndef FS_SESSION_H
#define FS_SESSION_H

#include "fs_worker.h"

/* Answers REQ, a request to /api/session. */
void fs_session_handle(struct fs_worker *w, struct fs_request *req);

/* The service's init (fs_service.init): its statements and the dummy hash. FS_OK or ERR_INTERNAL. */
enum fs_err fs_session_init(struct fs_worker *w);

#endif
