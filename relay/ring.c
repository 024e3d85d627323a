/* ring.c - a circular buffer of delivered events, bounded in events and in bytes. */
#include <stdlib.h>

#include "ring.h"

int
ring_init(struct ring *r, size_t size, size_t max_bytes, int64_t floor)
{
	r->slots = calloc(size, sizeof(*r->slots));
	r->size = r->slots ? size : 0;
	r->start = r->count = 0;
	r->bytes = 0;
	r->max_bytes = max_bytes;
	r->floor = floor;
	return r->slots ? 0 : -1;
}

void
ring_reset(struct ring *r, int64_t floor)
{
	for (size_t i = 0; r->size && i < r->count; i++) {	/* no slots: nothing held */
		free(r->slots[(r->start + i) % r->size]);
		r->slots[(r->start + i) % r->size] = NULL;
	}
	r->start = r->count = 0;
	r->bytes = 0;
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

/* Frees the oldest event; the ring no longer covers its seq. */
static void
evict(struct ring *r)
{
	struct frame *old = r->slots[r->start];

	r->floor = old->seq;
	r->bytes -= frame_bytes(old);
	free(old);
	r->slots[r->start] = NULL;
	r->start = (r->start + 1) % r->size;
	r->count--;
}

void
ring_push(struct ring *r, struct frame *f)
{
	size_t cost = frame_bytes(f);

	if (cost > r->max_bytes || r->size == 0) {
		/* Coverage is a range: what is held is older than F, so it covers nothing now. */
		ring_reset(r, f->seq);
		free(f);
		return;
	}
	while (r->count > 0 && (r->count == r->size || r->bytes + cost > r->max_bytes))
		evict(r);
	r->slots[(r->start + r->count) % r->size] = f;
	r->count++;
	r->bytes += cost;
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
