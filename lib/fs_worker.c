/* fs_worker.c - one worker's SQL, connection and publisher. */
#include <stdlib.h>
#include <string.h>

#include "fs_worker.h"

enum fs_err
fs_worker_init(struct fs_worker *w, const struct fs_service *svc, const struct fs_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->res = svc->res;
	w->cfg = cfg;
	/* The feed has no generated SQL: all it asks is in the change log layer. */
	if (svc->res && fs_sql_build(svc->res, &w->sql) != FS_OK)
		return ERR_INTERNAL;
	if (fs_db_init(&w->db, cfg, svc->path, svc->res, &w->sql) != FS_OK
	    || fs_changelog_init(&w->log, &w->db.pg) != FS_OK
	    || fs_auth_init(&w->auth, &w->db.pg, cfg) != FS_OK
	    || (svc->init && svc->init(w) != FS_OK)) {
		fs_sql_release(&w->sql);
		return ERR_INTERNAL;
	}
	/* Only writers publish. Without a publisher the change log still holds every change. */
	fs_events_open(&w->events, svc->res ? cfg->publish : NULL);
	return FS_OK;
}

void
fs_worker_release(struct fs_worker *w)
{
	PQclear(w->committed);
	fs_events_close(&w->events);
	fs_changelog_release(&w->log);
	fs_auth_release(&w->auth);
	fs_db_close(&w->db);
	fs_sql_release(&w->sql);
}
