/*
 * queries.h - the relay's database work on its event loop, never waiting for an answer.
 *
 * Statements go into a bounded queue and run one at a time on the backlog's connection
 * (backlog.h) in libpq's non-blocking mode (fs_pg_send, then PQconsumeInput / PQisBusy as
 * its socket turns readable), so health checks and streams are served meanwhile. Each
 * answer goes to its callback, in the order the statements were queued, from the loop:
 * never from inside queries_submit. A statement whose connection turns out broken (the
 * server restarted since its last use) is sent once more on a new one: the relay's
 * statements read, or delete what a second run finds gone. A failure (the database away,
 * an error) is logged and answered as a NULL result.
 */
#ifndef RELAY_QUERIES_H
#define RELAY_QUERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "fs_pg.h"

#define QUERIES_START 64	/* the queue's first size: it doubles as statements wait, up to its most */
#define QUERY_PARAMS 4		/* parameters a statement takes at most */
#define QUERY_PARAM_LEN 72	/* bytes of each, its NUL included (a token hash's bytea text is 67) */

/* An answer: RES (NULL on failure; freed after the call) for the statement queued with ARG. */
typedef void query_done(void *arg, PGresult *res);

struct query {
	const struct fs_pg_stmt *st;		/* borrowed */
	char params[QUERY_PARAMS][QUERY_PARAM_LEN];
	query_done *done;			/* NULL: cancelled, the answer is dropped */
	void *arg;
	bool resent;				/* sent again after its connection broke */
};

struct queries {
	struct fs_pg *pg;		/* borrowed: the backlog's connection */
	struct event_base *base;
	struct event *io;		/* the connection's socket while a statement runs */
	struct event *kick;		/* runs the queue from the loop */
	struct query *q;		/* a ring of CAP; q[first] runs when busy */
	size_t first, n, cap;
	size_t max;			/* statements waiting at most (the ring's bound in bytes) */
	bool busy;
	PGresult *result;		/* the running statement's answer so far */
	long ran;			/* statements answered so far */
	time_t answered_at;		/* the last successful answer (CLOCK_MONOTONIC seconds) */
};

/*
 * Sets Q up over PG and BASE (both borrowed), for MAX statements waiting at most (at least
 * QUERIES_START); the ring grows to what waits and shrinks again once it is empty. 0, or -1
 * out of memory.
 */
int queries_init(struct queries *q, struct fs_pg *pg, struct event_base *base, size_t max);

/* Drops every waiting statement without calling back; frees what Q holds. */
void queries_release(struct queries *q);

/*
 * Queues ST with its ST->nparams text PARAMS (copied; each shorter than QUERY_PARAM_LEN);
 * DONE(ARG, result) follows from the loop. 0, or -1 when MAX wait already, the ring cannot
 * grow or a parameter is too long (nothing queued, nothing called).
 */
int queries_submit(struct queries *q, const struct fs_pg_stmt *st, const char *const *params,
    query_done *done, void *arg);

/* Drops the answers due to ARG (it is going away): their callbacks are never called. */
void queries_cancel(struct queries *q, const void *arg);

/* Statements queued and not yet answered. */
size_t queries_waiting(const struct queries *q);

#endif
