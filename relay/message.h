/*
 * message.h - a worker's nanomsg message (lib/fs_events.h): "<type> <seq>", a doorbell,
 * or "<type> <seq>\0<branch>\0<owner>\0<event>", the committed entry itself.
 */
#ifndef RELAY_MESSAGE_H
#define RELAY_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct message {
	int64_t seq;			/* >= 1 */
	const char *type;		/* not NUL-terminated: type_len bytes */
	size_t type_len;
	const char *branch, *owner;	/* NUL-terminated, in the message; NULL for a doorbell */
	const char *event;		/* the rest of the message: event_len bytes; NULL for a doorbell */
	size_t event_len;
};

/* Reads the LEN bytes of MSG into *M (pointing into MSG); 1 when it is a message, 0 when not. */
int message_parse(const char *msg, size_t len, struct message *m);

/* The entry of M (not a doorbell) as a frame the caller owns (free() it), or NULL (frame_new). */
struct frame *message_frame(const struct message *m);

#endif
