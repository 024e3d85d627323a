/* trim.c - malloc_trim(0) a second after a burst of closed streams. */
#include <malloc.h>

#include "trim.h"

#define TRIM_DELAY 1	/* seconds from the first close of a burst to the trim */

static void
on_trim(evutil_socket_t fd, short what, void *arg)
{
	struct trim *t = arg;

	(void)fd;
	(void)what;
	malloc_trim(0);
	t->trims++;
}

int
trim_init(struct trim *t, struct event_base *base)
{
	t->trims = 0;
	t->timer = evtimer_new(base, on_trim, t);
	return t->timer ? 0 : -1;
}

void
trim_soon(struct trim *t)
{
	const struct timeval delay = { TRIM_DELAY, 0 };

	if (t->timer && !evtimer_pending(t->timer, NULL))
		evtimer_add(t->timer, &delay);	/* a failure only leaves the memory mapped */
}

void
trim_release(struct trim *t)
{
	if (t->timer)
		event_free(t->timer);
	t->timer = NULL;
}
