/*
 * fs_engine.h - the table-driven resource engine: one request in, one answer out.
 *
 * The engine owns the resource's generated SQL and the worker's database connection;
 * fs_serve() makes one engine per worker process and hands it every request.
 */
#ifndef FS_ENGINE_H
#define FS_ENGINE_H

#include "fs_config.h"
#include "fs_db.h"
#include "fs_events.h"
#include "fs_http.h"
#include "fs_resource.h"
#include "fs_sql.h"

struct fs_engine {
	const struct fs_resource *res;
	const struct fs_config *cfg;
	struct fs_sql sql;
	struct fs_db db;
	struct fs_events events;	/* opened per worker process, after fork */
	unsigned long writes;	/* committed writes, to prune expired idempotency keys now and then */
};

/* Generates RES's SQL; the database is connected on first use. Returns 0 or -1. */
int fs_engine_init(struct fs_engine *e, const struct fs_resource *res, const struct fs_config *cfg);

/* Closes the connection and frees the SQL. */
void fs_engine_release(struct fs_engine *e);

/* Answers REQ completely (reads its body, writes the response). */
void fs_engine_handle(struct fs_engine *e, struct fs_request *req);

#endif
