/* pages.c - catch-up pages read in the backlog's catch-up lane, kept and shared. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "backlog.h"
#include "log.h"
#include "pages.h"

void
pages_init(struct pages *p, struct backlog *db, void (*ready)(void *arg, int ok), void *arg)
{
	memset(p, 0, sizeof(*p));
	p->db = db;
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
		p->stale = 1;	/* what is being read may no longer hold: dropped when it comes */
}

void
pages_release(struct pages *p)
{
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

static void on_page(void *arg, PGresult *res);

/* Asks for the page (AFTER, UPTO]. 0, or -1 when it cannot be queued. */
static int
send_query(struct pages *p, int64_t after, int64_t upto)
{
	if (backlog_catchup(p->db, after, upto, PAGE_ROWS, PAGE_BYTES, on_page, p) < 0)
		return -1;
	p->busy = 1;
	p->stale = 0;
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

/* A page came (RES), or the read failed (NULL, logged): keep it, then go on. */
static void
on_page(void *arg, PGresult *res)
{
	struct pages *p = arg;
	int ok = res != NULL;

	p->busy = 0;
	if (ok && !p->stale && keep(p, res, p->q_after, p->q_upto) < 0) {
		relay_log("out of memory keeping a catch-up page");
		ok = 0;
	}
	if (!ok) {
		p->nqueue = 0;
		p->ready(p->arg, 0);
		return;
	}
	next_query(p);
	p->ready(p->arg, 1);	/* also after a dropped (stale) page: the streams ask again */
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
