/*
 * fs_users.h - /api/users: the accounts, for admins only (others 403 forbidden, no
 * session 401 unauthenticated; a cookie-authenticated change passes the CSRF rule).
 *
 *   GET             -> 200 [user, …] ordered by login
 *   GET ?id=        -> 200 user, or 404
 *   POST {"login","name"?,"password","memberships"?} -> 201 user
 *   PUT {"id","name"?,"password"?,"status"?,"memberships"?} -> 200 user; memberships
 *                      are replaced whole; a new password or "disabled" ends the user's
 *                      sessions (migration 006's trigger)
 *   DELETE ?id=     -> 204, the user disabled (never deleted)
 *
 * A user is {"id","login","name","status","memberships":[{"branch","role"}],
 * "locked_until","created_at","updated_at","version"}: never the password hash. A
 * membership is {"branch","role"}; admin is {"role":"admin"} (branch "*"). A change that
 * would leave no active admin is refused (422).
 */
#ifndef FS_USERS_H
#define FS_USERS_H

#include "fs_worker.h"

/* Answers REQ, a request to /api/users. */
void fs_users_handle(struct fs_worker *w, struct fs_request *req);

/* The service's init (fs_service.init): its statements and the login rule. FS_OK or ERR_INTERNAL. */
enum fs_err fs_users_init(struct fs_worker *w);

#endif
