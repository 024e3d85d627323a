/* message.c - reads the messages the workers publish after COMMIT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

#define MAX_DIGITS 19		/* an int64_t */
#define MAX_TYPE 200

int
message_parse(const char *msg, size_t len, struct message *m)
{
	const char *space = memchr(msg, ' ', len), *digits, *end = msg + len, *nul;
	char num[MAX_DIGITS + 1];
	size_t n;

	memset(m, 0, sizeof(*m));
	if (!space || space == msg || (size_t)(space - msg) > MAX_TYPE)
		return 0;
	digits = space + 1;
	nul = memchr(digits, '\0', (size_t)(end - digits));
	n = (size_t)((nul ? nul : end) - digits);
	if (n == 0 || n > MAX_DIGITS)
		return 0;
	memcpy(num, digits, n);
	num[n] = '\0';
	if (strspn(num, "0123456789") != n)
		return 0;
	errno = 0;
	m->seq = strtoll(num, NULL, 10);
	if (errno != 0 || m->seq < 1)
		return 0;
	m->type = msg;
	m->type_len = (size_t)(space - msg);
	if (!nul)
		return 1;	/* a doorbell */
	/* The entry: branch and owner each up to a NUL, the event the rest (no NUL in it). */
	m->branch = nul + 1;
	if (!(nul = memchr(m->branch, '\0', (size_t)(end - m->branch))))
		return 0;
	m->owner = nul + 1;
	if (!(nul = memchr(m->owner, '\0', (size_t)(end - m->owner))))
		return 0;
	m->event = nul + 1;
	m->event_len = (size_t)(end - m->event);
	if (memchr(m->event, '\0', m->event_len))
		return 0;
	return 1;
}

struct frame *
message_frame(const struct message *m)
{
	char type[MAX_TYPE + 1], *event;
	struct frame *f;

	if (!m->event)
		return NULL;
	memcpy(type, m->type, m->type_len);
	type[m->type_len] = '\0';
	/* frame_new reads a NUL-terminated payload: the message holds none after it. */
	if (!(event = malloc(m->event_len + 1)))
		return NULL;
	memcpy(event, m->event, m->event_len);
	event[m->event_len] = '\0';
	f = frame_new(m->seq, type, m->branch, *m->owner ? m->owner : NULL, event);
	free(event);
	return f;
}
