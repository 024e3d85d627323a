/* ring.c - a fixed-size circular buffer of delivered events. */
#include <stdlib.h>

#include "ring.h"

int
ring_init(struct ring *r, size_t size, int64_t floor)
{
	r->slots = calloc(size, sizeof(*r->slots));
	r->size = r->slots ? size : 0;
	r->start = r->count = 0;
	r->floor = floor;
	return r->slots ? 0 : -1;
}

void
ring_reset(struct ring *r, int64_t floor)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->slots[(r->start + i) % r->size]);
		r->slots[(r->start + i) % r->size] = NULL;
	}
	r->start = r->count = 0;
	r->floor = floor;
}

void
ring_release(struct ring *r)
{
	ring_reset(r, r->floor);
	free(r->slots);
	r->slots = NULL;
	r->size = 0;
}

void
ring_push(struct ring *r, struct frame *f)
{
	if (r->count == r->size) {
		struct frame *old = r->slots[r->start];

		r->floor = old->seq;
		free(old);
		r->slots[r->start] = f;
		r->start = (r->start + 1) % r->size;
		return;
	}
	r->slots[(r->start + r->count) % r->size] = f;
	r->count++;
}

const struct frame *
ring_at(const struct ring *r, size_t i)
{
	return r->slots[(r->start + i) % r->size];
}

long
ring_find(const struct ring *r, int64_t after)
{
	size_t lo = 0, hi = r->count, mid;

	if (after < r->floor)
		return -1;
	/* Binary search for the first seq > after: seqs rise with the position. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ring_at(r, mid)->seq > after)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (long)lo;
}
