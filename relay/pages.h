/*
 * pages.h - catch-up pages of the change log, read without blocking the event loop and
 * shared by every stream that needs them.
 *
 * A stream that is behind the ring asks for the page after its cursor. The page is read in
 * the backlog's catch-up lane (backlog.h: a connection of its own, never waited on), so
 * health checks and live streams are answered meanwhile. Read pages are kept (the last PAGES_CACHED, bounded
 * in rows and bytes each), so streams catching up over the same range read each page once
 * between them. One query runs at a time; further requests wait in a bounded queue (a
 * stream whose request finds it full is woken by the next page and asks again).
 */
#ifndef RELAY_PAGES_H
#define RELAY_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct backlog;

#define PAGES_CACHED 16			/* pages kept */
#define PAGES_QUEUE 64			/* requests waiting for the connection */
#define PAGE_ROWS 500			/* entries per page at most */
#define PAGE_BYTES (1024 * 1024)	/* ... and event text (the first entry always comes) */

/* Every entry of the change log with after < seq <= upto, oldest first. */
struct page {
	int64_t after, upto;
	struct frame **frames;		/* owned */
	int n;
	size_t bytes;			/* what the frames take (frame_bytes) */
	unsigned long used;		/* when last found, for eviction */
};

struct pages {
	struct backlog *db;		/* borrowed */
	int busy;			/* a page is being read */
	int64_t q_after, q_upto;	/* ... its range */
	int stale;			/* ... and it may no longer hold: dropped when it comes */
	struct page cache[PAGES_CACHED];
	int ncache;
	unsigned long tick;
	int64_t queue[PAGES_QUEUE][2];	/* waiting requests: after, upto */
	int nqueue;
	long reads;			/* pages read so far */
	void (*ready)(void *arg, int ok);	/* a page came (ok) or the reads failed (0) */
	void *arg;
};

/* Sets P up over DB (borrowed); READY(ARG, ok) is called after each page read, or failure. */
void pages_init(struct pages *p, struct backlog *db, void (*ready)(void *arg, int ok), void *arg);

/* The kept page covering the seq after CURSOR (after <= cursor < upto), or NULL. */
const struct page *pages_find(struct pages *p, int64_t cursor);

/* The position in PG of the first entry with seq > CURSOR (PG->n when none). */
int page_position(const struct page *pg, int64_t cursor);

/*
 * Asks for the page after AFTER up to UPTO (the head); READY follows. 0, or -1 when the
 * database cannot be reached now (the caller gives up, as for any unavailable database).
 */
int pages_request(struct pages *p, int64_t after, int64_t upto);

/* Drops every kept page (the change log went back). */
void pages_reset(struct pages *p);

/* Frees every page; P may be released twice. */
void pages_release(struct pages *p);

#endif
