/* pages.c - catch-up pages read asynchronously with libpq on the event loop, kept and shared. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backlog.h"
#include "log.h"
#include "pages.h"

#define STATEMENT "relay_catchup_page"

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void
pages_init(struct pages *p, const struct fs_config *cfg, struct event_base *base,
    void (*ready)(void *arg, int ok), void *arg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->base = base;
	p->ready = ready;
	p->arg = arg;
}

static void
page_free(struct page *pg)
{
	for (int i = 0; i < pg->n; i++)
		free(pg->frames[i]);
	free(pg->frames);
	memset(pg, 0, sizeof(*pg));
}

void
pages_reset(struct pages *p)
{
	for (int i = 0; i < p->ncache; i++)
		page_free(&p->cache[i]);
	p->ncache = 0;
	p->nqueue = 0;
	if (p->busy)
		p->failed = 1;	/* what is being read may no longer hold: dropped when it comes */
}

/* Drops the connection and whatever it was doing. */
static void
disconnect(struct pages *p)
{
	if (p->ev)
		event_free(p->ev);
	p->ev = NULL;
	PQclear(p->result);
	p->result = NULL;
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
	p->busy = 0;
}

void
pages_release(struct pages *p)
{
	disconnect(p);
	pages_reset(p);
}

const struct page *
pages_find(struct pages *p, int64_t cursor)
{
	for (int i = 0; i < p->ncache; i++) {
		struct page *pg = &p->cache[i];

		if (pg->after <= cursor && cursor < pg->upto) {
			pg->used = ++p->tick;
			return pg;
		}
	}
	return NULL;
}

int
page_position(const struct page *pg, int64_t cursor)
{
	int lo = 0, hi = pg->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pg->frames[mid]->seq > cursor)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Connects (blocking, bounded by connect_timeout, at most once a second) and prepares. 0, or -1. */
static int
connect_db(struct pages *p)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name", "options", NULL };
	char timeout[16], options[64];
	const char *values[5] = { p->cfg->database_url, timeout, "fieldsync-relay-catchup", options, NULL };
	PGresult *res;

	if (p->conn)
		return 0;
	if (now_s() < p->retry_at)
		return -1;
	p->retry_at = now_s() + 1;
	snprintf(timeout, sizeof(timeout), "%d", p->cfg->connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%d", p->cfg->statement_timeout);
	p->conn = PQconnectdbParams(keys, values, 1);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		relay_log("catch-up connection: %s", p->conn ? PQerrorMessage(p->conn) : "out of memory");
		disconnect(p);
		return -1;
	}
	res = PQprepare(p->conn, STATEMENT, BACKLOG_PAGE_SQL, 4, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK || PQsetnonblocking(p->conn, 1) != 0) {
		relay_log("catch-up connection: cannot prepare: %s", PQerrorMessage(p->conn));
		PQclear(res);
		disconnect(p);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Keeps the page RES read for (AFTER, UPTO], evicting the least recently used. 0, or -1. */
static int
keep(struct pages *p, PGresult *res, int64_t after, int64_t upto)
{
	int n = PQntuples(res), slot = p->ncache;
	struct page pg = { .after = after, .upto = upto };

	if (n > 0 && !(pg.frames = calloc((size_t)n, sizeof(*pg.frames))))
		return -1;
	for (pg.n = 0; pg.n < n; pg.n++) {
		if (!(pg.frames[pg.n] = backlog_frame(res, pg.n))) {
			page_free(&pg);
			return -1;
		}
		pg.bytes += frame_bytes(pg.frames[pg.n]);
	}
	/* A page cut short covers up to its last entry; one that reached the end, up to UPTO. */
	if (n > 0 && pg.frames && !backlog_range_ended(res, PAGE_ROWS))
		pg.upto = pg.frames[n - 1]->seq;
	if (slot == PAGES_CACHED) {
		slot = 0;
		for (int i = 1; i < p->ncache; i++)
			if (p->cache[i].used < p->cache[slot].used)
				slot = i;
		page_free(&p->cache[slot]);
	} else {
		p->ncache++;
	}
	pg.used = ++p->tick;
	p->cache[slot] = pg;
	p->reads++;
	return 0;
}

static void on_socket(evutil_socket_t fd, short what, void *arg);

/* Sends the query for (AFTER, UPTO] and watches the socket. 0, or -1. */
static int
send_query(struct pages *p, int64_t after, int64_t upto)
{
	char a[24], u[24], l[24], m[24];
	const char *params[4] = { a, u, l, m };
	int flush;

	if (connect_db(p) < 0)
		return -1;
	snprintf(a, sizeof(a), "%" PRId64, after);
	snprintf(u, sizeof(u), "%" PRId64, upto);
	snprintf(l, sizeof(l), "%d", PAGE_ROWS);
	snprintf(m, sizeof(m), "%d", PAGE_BYTES);
	if (!PQsendQueryPrepared(p->conn, STATEMENT, 4, params, NULL, NULL, 0) ||
	    (flush = PQflush(p->conn)) < 0) {
		relay_log("catch-up query: %s", PQerrorMessage(p->conn));
		disconnect(p);
		return -1;
	}
	p->ev = event_new(p->base, PQsocket(p->conn), EV_READ | EV_PERSIST | (flush ? EV_WRITE : 0),
	    on_socket, p);
	if (!p->ev || event_add(p->ev, NULL) < 0) {
		relay_log("cannot watch the catch-up connection");
		disconnect(p);
		return -1;
	}
	p->busy = 1;
	p->failed = 0;
	p->q_after = after;
	p->q_upto = upto;
	return 0;
}

/* Sends the next waiting request a kept page does not already answer. */
static void
next_query(struct pages *p)
{
	while (p->nqueue > 0 && !p->busy) {
		int64_t after = p->queue[0][0], upto = p->queue[0][1];

		memmove(p->queue, p->queue + 1, (size_t)--p->nqueue * sizeof(p->queue[0]));
		if (!pages_find(p, after) && send_query(p, after, upto) < 0) {
			p->nqueue = 0;
			p->ready(p->arg, 0);
			return;
		}
	}
}

/* The query is over: keep its page (or drop the connection on an error), then go on. */
static void
finish(struct pages *p)
{
	PGresult *res = p->result;
	int ok = !p->failed && res && PQresultStatus(res) == PGRES_TUPLES_OK;

	event_free(p->ev);
	p->ev = NULL;
	p->busy = 0;
	p->result = NULL;
	if (!p->failed && !ok)
		relay_log("catch-up page after %" PRId64 ": %s", p->q_after,
		    res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
	if (ok && keep(p, res, p->q_after, p->q_upto) < 0) {
		relay_log("out of memory keeping a catch-up page");
		ok = 0;
	}
	PQclear(res);
	if (!ok && !p->failed) {
		disconnect(p);
		p->nqueue = 0;
		p->ready(p->arg, 0);
		return;
	}
	next_query(p);
	p->ready(p->arg, 1);	/* also after a dropped (stale) page: the streams ask again */
}

/* The connection's socket is ready: write what is left, read what came, finish when done. */
static void
on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct pages *p = arg;
	PGresult *res;

	(void)fd;
	if ((what & EV_WRITE) && PQflush(p->conn) == 0) {
		event_del(p->ev);
		event_assign(p->ev, p->base, PQsocket(p->conn), EV_READ | EV_PERSIST, on_socket, p);
		event_add(p->ev, NULL);
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(p->conn)) {
		relay_log("catch-up connection lost: %s", PQerrorMessage(p->conn));
		disconnect(p);
		p->nqueue = 0;
		p->ready(p->arg, 0);
		return;
	}
	while (!PQisBusy(p->conn)) {
		if (!(res = PQgetResult(p->conn))) {
			finish(p);
			return;
		}
		PQclear(p->result);
		p->result = res;
	}
}

int
pages_request(struct pages *p, int64_t after, int64_t upto)
{
	if (p->busy && p->q_after == after)
		return 0;
	for (int i = 0; i < p->nqueue; i++)
		if (p->queue[i][0] == after)
			return 0;
	if (!p->busy)
		return send_query(p, after, upto);
	if (p->nqueue < PAGES_QUEUE) {
		p->queue[p->nqueue][0] = after;
		p->queue[p->nqueue][1] = upto;
		p->nqueue++;
	}
	return 0;	/* a full queue: the next page wakes the stream, which asks again */
}
