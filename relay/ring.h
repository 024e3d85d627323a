/*
 * ring.h - the last events the relay delivered, in delivery (seq) order, for streams that
 * resume or catch up without asking PostgreSQL.
 *
 * The ring covers the seqs in (floor, newest]: every event delivered after FLOOR is in it.
 * Seqs are gap-tolerant (a rolled-back commit burns a number), so coverage is a range of
 * seqs, not a count of events. The ring is bounded twice, in events and in bytes (what its
 * frames take in memory): pushing onto a full ring evicts the oldest events and raises the
 * floor to the seq of the last one evicted. An event larger than the byte bound by itself
 * is not kept at all: the ring is emptied and covers from that event's seq on (a stream
 * that needs it reads it from the change log).
 */
#ifndef RELAY_RING_H
#define RELAY_RING_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct ring {
	struct frame **slots;
	size_t size, start, count;	/* capacity, index of the oldest, events held */
	size_t bytes, max_bytes;	/* what the held frames take (frame_bytes), and the bound */
	int64_t floor;			/* every delivered event with seq > floor is held */
};

/*
 * Allocates room for SIZE events of at most MAX_BYTES together, covering nothing yet past
 * FLOOR. 0, or -1 out of memory.
 */
int ring_init(struct ring *r, size_t size, size_t max_bytes, int64_t floor);

/* Frees every event and the slots; R may be released twice. */
void ring_release(struct ring *r);

/* Drops every event and restarts coverage at FLOOR. */
void ring_reset(struct ring *r, int64_t floor);

/*
 * Appends F (seq above every held one), taking ownership: the oldest go while either bound
 * would be passed; F is freed at once (and the ring emptied) when it alone passes MAX_BYTES.
 */
void ring_push(struct ring *r, struct frame *f);

/*
 * The position (0 = oldest) of the first held event with seq > AFTER; r->count when none
 * is; -1 when the ring no longer holds every event after AFTER (AFTER < floor).
 */
long ring_find(const struct ring *r, int64_t after);

/* The event at position I (0 = oldest, I < r->count); the ring keeps ownership. */
const struct frame *ring_at(const struct ring *r, size_t i);

#endif
