/* queries.c - statements run one at a time on the event loop, answers to callbacks. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queries.h"

static void run_next(struct queries *q);

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_next(arg);
}

int
queries_init(struct queries *q, struct fs_pg *pg, struct event_base *base, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->pg = pg;
	q->base = base;
	q->max = max < QUERIES_START ? QUERIES_START : max;
	q->cap = QUERIES_START;
	q->q = calloc(q->cap, sizeof(*q->q));
	q->kick = event_new(base, -1, 0, on_kick, q);
	q->io = event_new(base, -1, 0, NULL, NULL);
	return q->q && q->kick && q->io ? 0 : -1;
}

void
queries_release(struct queries *q)
{
	if (q->kick)
		event_free(q->kick);
	if (q->io)
		event_free(q->io);
	PQclear(q->result);
	free(q->q);
	memset(q, 0, sizeof(*q));
}

/* Moves the N waiting statements to a ring of CAP, oldest first. 0, or -1 out of memory. */
static int
resize(struct queries *q, size_t cap)
{
	struct query *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -1;
	for (size_t i = 0; i < q->n; i++)
		ring[i] = q->q[(q->first + i) % q->cap];
	free(q->q);
	q->q = ring;
	q->cap = cap;
	q->first = 0;
	return 0;
}

int
queries_submit(struct queries *q, const struct fs_pg_stmt *st, const char *const *params,
    query_done *done, void *arg)
{
	struct query *job;

	size_t len[QUERY_PARAMS] = { 0 };

	if (q->n == q->max || st->nparams > QUERY_PARAMS)
		return -1;
	for (int i = 0; i < st->nparams; i++)
		if ((len[i] = strlen(params[i])) >= QUERY_PARAM_LEN)
			return -1;
	/* A burst (thousands of streams opening at once) waits its turn instead of a 503. */
	if (q->n == q->cap && resize(q, q->cap * 2 < q->max ? q->cap * 2 : q->max) < 0)
		return -1;
	job = &q->q[(q->first + q->n) % q->cap];
	job->st = st;
	for (int i = 0; i < st->nparams; i++)
		memcpy(job->params[i], params[i], len[i] + 1);
	job->done = done;
	job->arg = arg;
	job->resent = false;
	q->n++;
	if (!q->busy)
		event_active(q->kick, EV_TIMEOUT, 0);
	return 0;
}

void
queries_cancel(struct queries *q, const void *arg)
{
	for (size_t i = 0; i < q->n; i++) {
		struct query *job = &q->q[(q->first + i) % q->cap];

		if (job->arg == arg)
			job->done = NULL;
	}
}

size_t
queries_waiting(const struct queries *q)
{
	return q->n;
}

/* Takes the first statement off the queue and answers it with RES (NULL: failed). */
static void
answer(struct queries *q, PGresult *res)
{
	struct query job = q->q[q->first];

	q->first = (q->first + 1) % q->cap;
	q->n--;
	q->ran++;
	/* The burst is over: its memory goes back (a failed shrink keeps the larger ring). */
	if (q->n == 0 && q->cap > QUERIES_START)
		(void)resize(q, QUERIES_START);
	if (job.done)
		job.done(job.arg, res);
}

/* The running statement is over: its answer, or a failure (the connection goes when broken). */
static void
finish(struct queries *q, int connection_lost)
{
	PGresult *res = q->result;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int ok = !connection_lost && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);

	struct query *job = &q->q[q->first];

	event_del(q->io);
	q->busy = false;
	q->result = NULL;
	connection_lost |= PQstatus(q->pg->conn) != CONNECTION_OK;
	if (connection_lost && !job->resent) {
		fs_pg_close(q->pg);	/* run_next connects again and sends it once more */
		job->resent = true;
		PQclear(res);
		run_next(q);
		return;
	}
	if (!ok)
		relay_log("%s: %s", job->st->name, res ? PQresultErrorMessage(res) : PQerrorMessage(q->pg->conn));
	if (connection_lost)
		fs_pg_close(q->pg);	/* the next statement connects again */
	if (ok) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		q->answered_at = now.tv_sec;
	}
	answer(q, ok ? res : NULL);
	PQclear(res);
	run_next(q);
}

/* The connection's socket is ready: write what is left, read what came, finish when done. */
static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	struct queries *q = arg;
	PGresult *res;

	if ((what & EV_WRITE) && PQflush(q->pg->conn) == 0) {
		event_del(q->io);
		event_assign(q->io, q->base, fd, EV_READ | EV_PERSIST, on_io, q);
		event_add(q->io, NULL);
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(q->pg->conn)) {
		finish(q, 1);
		return;
	}
	while (!PQisBusy(q->pg->conn)) {
		if (!(res = PQgetResult(q->pg->conn))) {
			finish(q, 0);
			return;
		}
		PQclear(q->result);
		q->result = res;
	}
}

/* Sends the first statement still wanted unless one runs; a send that fails is answered NULL. */
static void
run_next(struct queries *q)
{
	while (q->n > 0 && !q->busy) {
		struct query *job = &q->q[q->first];
		const char *params[QUERY_PARAMS];
		struct fs_error err = FS_ERROR_INIT;
		bool was_connected;
		int flush;

		if (!job->done) {
			answer(q, NULL);	/* cancelled: not even sent */
			continue;
		}
		for (int i = 0; i < job->st->nparams; i++)
			params[i] = job->params[i];
		was_connected = fs_pg_connected(q->pg);
		flush = fs_pg_send(q->pg, job->st, params, &err) == FS_OK ? PQflush(q->pg->conn) : -1;
		fs_error_clear(&err);
		if (flush < 0) {
			fs_pg_close(q->pg);
			if (was_connected && !job->resent) {	/* the server dropped it meanwhile */
				job->resent = true;
				fs_pg_retry_now(q->pg);
				continue;
			}
			answer(q, NULL);
			continue;
		}
		event_assign(q->io, q->base, PQsocket(q->pg->conn), EV_READ | EV_PERSIST | (flush ? EV_WRITE : 0),
		    on_io, q);
		if (event_add(q->io, NULL) < 0) {
			relay_log("cannot watch the database connection");
			fs_pg_close(q->pg);
			answer(q, NULL);
			continue;
		}
		q->busy = true;
	}
}
