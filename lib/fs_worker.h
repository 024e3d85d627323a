/*
 * fs_worker.h - what one worker process holds while it serves requests: the resource
 * it answers for, its generated SQL, its database connection and its event publisher.
 *
 * The request loop (fs_serve.c) makes one per process and hands it, with each request,
 * to the service's handler; handlers include this header, never the loop's.
 */
#ifndef FS_WORKER_H
#define FS_WORKER_H

#include "fs_auth.h"
#include "fs_changelog.h"
#include "fs_config.h"
#include "fs_db.h"
#include "fs_events.h"
#include "fs_http.h"
#include "fs_resource.h"
#include "fs_sql.h"

/* GETs by id in flight at most (fs_read.h); 8 and 32 measured alike at 16 connections. */
#define FS_DEFERRED 32

/* A GET by id sent, or about to be, behind the others in flight (fs_read.c). */
struct fs_deferred {
	struct fs_request *req;
	char *params[4];	/* owned: the id and the scope's (fs_sql_scope_params); NULL: SQL NULL */
	bool sent;		/* in the connection's stream (fs_pg_stream.h) */
	bool done;		/* its result taken: R, or NULL when it is to run on its own */
	PGresult *r;		/* owned */
};

struct fs_worker {
	const struct fs_resource *res;	/* NULL for the changes feed */
	const struct fs_config *cfg;
	struct fs_sql sql;
	struct fs_db db;
	struct fs_changelog log;	/* the change log statements, on db's connection */
	struct fs_auth auth;		/* who is asking, on db's connection */
	const struct fs_user *user;	/* who asks the request being served (owned by auth), or NULL */
	struct fs_events events;	/* opened per worker process, after fork */
	unsigned long writes;	/* committed writes, to prune expired idempotency keys now and then */
	/* Work a handler leaves for after the answer is sent (publishing its events), or NULL. */
	void (*after_answer)(struct fs_worker *w);
	PGresult *committed;	/* owned: the committed entries (type, seq) after_answer publishes */
	bool deferring;		/* a GET by id may be left in flight while the loop reads on */
	struct fs_deferred deferred[FS_DEFERRED];	/* a ring: the oldest at first */
	int first, ndeferred;
};

/* What a binary serves: a name (for logs and the database) and the handler of each request. */
struct fs_service {
	const char *path;
	const struct fs_resource *res;	/* NULL for the changes feed */
	void (*handle)(struct fs_worker *w, struct fs_request *req);
	/* Sets up what the service keeps beside W (its statements) before the first connection; or NULL. */
	enum fs_err (*init)(struct fs_worker *w);
};

/* Generates SVC's SQL and opens its publisher; the database is connected on first use. */
enum fs_err fs_worker_init(struct fs_worker *w, const struct fs_service *svc,
    const struct fs_config *cfg);

/* Closes the connection and the publisher and frees the SQL. */
void fs_worker_release(struct fs_worker *w);

#endif
