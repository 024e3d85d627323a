/*
 * fs_write.h - POST, PUT and DELETE: checks of the parsed request, then one transaction
 * that applies the write, stores the answer under an Idempotency-Key, and commits.
 */
#ifndef FS_WRITE_H
#define FS_WRITE_H

#include <cjson/cJSON.h>

#include "fs_error.h"
#include "fs_http.h"
#include "fs_resource.h"

struct fs_engine;

/* One write, from the request to its answer. */
struct fs_write {
	enum fs_method method;
	cJSON *tree;		/* POST: object or array, PUT: object; owned */
	const char *id;		/* PUT, DELETE: the row's id (points into tree or the query) */
	char version[16];	/* PUT: the expected version, "" for none */
	int status;		/* the answer */
	char *body;		/* owned, NULL for none */
	size_t len;
};

/*
 * Checks W's parsed body against RES (every row of a batch, naming its index) and takes
 * PUT's id and expected version (body `version`, else If-Match). Sets ERR on failure.
 */
void fs_write_check(const struct fs_resource *res, const struct fs_request *req,
    struct fs_write *w, struct fs_error *err);

/*
 * Runs W in one transaction with REQ's Idempotency-Key, and answers REQ on success or
 * on a replay. On failure ERR is set, nothing is written, and the caller answers it.
 */
void fs_write_run(struct fs_engine *e, struct fs_request *req, struct fs_write *w,
    struct fs_error *err);

/* Frees what W owns. */
void fs_write_release(struct fs_write *w);

#endif
