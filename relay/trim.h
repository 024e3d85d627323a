/*
 * trim.h - gives memory back to the system after streams close.
 *
 * A stream's buffers are freed when it closes, but glibc keeps freed heap pages mapped,
 * so a relay that once held thousands of streams would keep their memory for good. Every
 * close asks for a trim; one malloc_trim(0) runs a second after the first request of a
 * burst (so a burst of closes costs one trim, not one each).
 */
#ifndef RELAY_TRIM_H
#define RELAY_TRIM_H

#include <event2/event.h>

struct trim {
	struct event *timer;	/* pending while a trim is due */
	long trims;		/* trims run so far */
};

/* Sets T up on BASE. 0, or -1 out of memory. */
int trim_init(struct trim *t, struct event_base *base);

/* A stream closed: trim within a second, unless a trim is due already. */
void trim_soon(struct trim *t);

/* Frees what T holds; T may be released twice. */
void trim_release(struct trim *t);

#endif
