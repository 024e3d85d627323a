/*
 * ring.h - the last events the relay delivered, in delivery (seq) order, for streams that
 * resume or catch up without asking PostgreSQL.
 *
 * The ring covers the seqs in (floor, newest]: every event delivered after FLOOR is in it.
 * Seqs are gap-tolerant (a rolled-back commit burns a number), so coverage is a range of
 * seqs, not a count of events. Pushing onto a full ring evicts the oldest event and raises
 * the floor to its seq.
 */
#ifndef RELAY_RING_H
#define RELAY_RING_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct ring {
	struct frame **slots;
	size_t size, start, count;	/* capacity, index of the oldest, events held */
	int64_t floor;			/* every delivered event with seq > floor is held */
};

/* Allocates room for SIZE events covering nothing yet past FLOOR. 0, or -1 out of memory. */
int ring_init(struct ring *r, size_t size, int64_t floor);

/* Frees every event and the slots; R may be released twice. */
void ring_release(struct ring *r);

/* Drops every event and restarts coverage at FLOOR. */
void ring_reset(struct ring *r, int64_t floor);

/* Appends F (seq above every held one), taking ownership; a full ring frees its oldest. */
void ring_push(struct ring *r, struct frame *f);

/*
 * The position (0 = oldest) of the first held event with seq > AFTER; r->count when none
 * is; -1 when the ring no longer holds every event after AFTER (AFTER < floor).
 */
long ring_find(const struct ring *r, int64_t after);

/* The event at position I (0 = oldest, I < r->count); the ring keeps ownership. */
const struct frame *ring_at(const struct ring *r, size_t i);

#endif
