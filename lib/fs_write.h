/*
 * fs_write.h - POST, PUT and DELETE on a resource: the front line (content type, size,
 * JSON), the row checks, then one transaction that applies the write, stores the answer
 * under an Idempotency-Key, and commits. Events go out after the answer is sent.
 */
#ifndef FS_WRITE_H
#define FS_WRITE_H

#include <time.h>

#include <cjson/cJSON.h>

#include "fs_idempotency.h"
#include "fs_worker.h"

/* One write, from the request to its answer. */
struct fs_write {
	enum fs_method method;
	cJSON *tree;		/* POST: object or array, PUT: object; owned */
	const char *id;		/* PUT, DELETE: the row's id (points into tree or the query) */
	char version[16];	/* PUT, DELETE: the expected version, "" for none */
	int status;		/* the answer */
	char *body;		/* owned, NULL for none */
	size_t len;
	struct timespec began;	/* CLOCK_MONOTONIC at BEGIN: the transaction's write_timeout runs from it */
	int one_by_one;		/* a batch POST inserts row after row (to name the row a rule refused) */
	const char *key;	/* the request's Idempotency-Key, or NULL */
	struct fs_idem idem;	/* its statements' parameters */
	const char *actor[1];	/* STMT_ACTOR's parameter */
	char ms[24];		/* STMT_DEADLINE's parameter */
	const char *deadline[1];
};

/*
 * Fills REQ's answer (or error) for a write on the resource of W. On an error nothing
 * was written. On success W's after_answer publishes the events once the answer is out.
 */
void fs_write_handle(struct fs_worker *w, struct fs_request *req);

#endif
