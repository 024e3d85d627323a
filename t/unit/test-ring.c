/* test-ring.c - the relay's ring: push, evict (by count and by bytes), floor, find across gaps. */
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "tap.h"

/* Pushes a frame of SEQ onto R. */
static void
push(struct ring *r, int64_t seq)
{
	ring_push(r, frame_new(seq, "clients:create", "b", NULL, "{}"));
}

/* Pushes a frame of SEQ whose payload is a JSON string of N bytes onto R. */
static void
push_big(struct ring *r, int64_t seq, size_t n)
{
	char *payload = malloc(n + 3);

	memset(payload, 'x', n + 2);
	payload[0] = payload[n + 1] = '"';
	payload[n + 2] = '\0';
	ring_push(r, frame_new(seq, "clients:create", "b", NULL, payload));
	free(payload);
}

/* The byte bound: the oldest go to make room; an event over the bound alone is never kept. */
static void
test_bytes(void)
{
	struct ring r;
	size_t held;

	ok(ring_init(&r, 100, 10000, 0) == 0, "a ring of 100 events and 10000 bytes");
	for (int64_t s = 1; s <= 3; s++)
		push_big(&r, s, 3000);
	is_int(r.count, 3, "three events of 3000 bytes fit");
	held = r.bytes;
	ok(held > 9000 && held <= 10000, "ring.bytes counts what they take");
	push_big(&r, 4, 3000);
	is_int(r.count, 3, "a fourth evicts the oldest (bytes, not count)");
	is_int(r.floor, 1, "... and the floor rose to it");
	ok(r.bytes <= r.max_bytes, "the bytes stay under the bound");
	push_big(&r, 5, 9000);
	is_int(r.count, 1, "one of 9000 bytes evicts all three");
	is_int(r.floor, 4, "... the floor is the last evicted");
	is_int(ring_at(&r, 0)->seq, 5, "... and it is held");
	push_big(&r, 6, 20000);
	is_int(r.count, 0, "an event over the bound alone is not kept");
	is_int(r.floor, 6, "... the ring covers from after it");
	is_int((long)r.bytes, 0, "... and holds no bytes");
	is_int(ring_find(&r, 5), -1, "a cursor before it is not covered (the change log has it)");
	push_big(&r, 7, 10);
	is_int(ring_find(&r, 6), 0, "after it, the ring covers again");
	ring_release(&r);
}

int
main(void)
{
	struct ring r;

	test_bytes();
	ok(ring_init(&r, 4, 1 << 20, 10) == 0, "a ring of 4 from floor 10");
	is_int(r.count, 0, "empty");
	is_int(ring_find(&r, 10), 0, "after the floor: nothing held, position 0 = count");
	is_int(ring_find(&r, 9), -1, "below the floor: not covered");

	push(&r, 11);
	push(&r, 13);		/* 12 burned: a gap */
	push(&r, 17);
	is_int(r.count, 3, "three held");
	is_int(ring_find(&r, 10), 0, "after 10: the first (11)");
	is_int(ring_find(&r, 11), 1, "after 11: 13");
	is_int(ring_find(&r, 12), 1, "after 12 (a gap): 13");
	is_int(ring_find(&r, 14), 2, "after 14 (in a gap): 17");
	is_int(ring_find(&r, 17), 3, "after the newest: count");
	is_int(ring_find(&r, 100), 3, "past the newest: count");
	is_int(ring_at(&r, 2)->seq, 17, "ring_at reads in seq order");

	push(&r, 18);
	push(&r, 20);		/* full: evicts 11 */
	is_int(r.count, 4, "still four held");
	is_int(r.floor, 11, "the floor rose to the evicted seq");
	is_int(ring_at(&r, 0)->seq, 13, "the oldest is now 13");
	is_int(ring_at(&r, 3)->seq, 20, "the newest is 20");
	is_int(ring_find(&r, 10), -1, "after 10: no longer covered");
	is_int(ring_find(&r, 11), 0, "after the floor itself: covered, from 13");
	is_int(ring_find(&r, 19), 3, "after 19: 20");

	for (int64_t s = 21; s <= 30; s++)
		push(&r, s);	/* wraps around more than once */
	is_int(r.floor, 26, "after wrapping: the floor is the last evicted");
	is_int(ring_at(&r, 0)->seq, 27, "... the oldest 27");
	is_int(ring_find(&r, 28), 2, "... find still searches in seq order");

	ring_reset(&r, 100);
	is_int(r.count, 0, "reset empties the ring");
	is_int(r.floor, 100, "... and restarts coverage");
	is_int(ring_find(&r, 99), -1, "... below the new floor: not covered");
	push(&r, 105);
	is_int(ring_find(&r, 100), 0, "pushing after a reset works");
	ring_release(&r);
	ring_release(&r);
	ok(1, "release twice is harmless");
	return done_testing();
}
