/*
 * frame.h - one change event as the bytes of a Server-Sent Events frame:
 *
 *   id: <seq>\nevent: <type>\ndata: <payload on one line>\n\n
 *
 * Formatted once, when the event enters the relay, as the whole of its HTTP chunk too
 * ("<hex length>\r\n<frame>\r\n", the frame's bytes in the middle): a stream that has
 * nothing unsent is written the frame's own bytes (no copy), in one piece, any other gets a
 * copy in its output.
 */
#ifndef RELAY_FRAME_H
#define RELAY_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct frame {
	int64_t seq;
	uint32_t len;			/* bytes of text */
	uint16_t type_off, type_len;	/* where the type sits in text */
	const char *text;		/* the frame: LEN bytes, then "\r\n" and a NUL */
	const char *chunk;		/* "<len in hex>\r\n", right before text */
	uint32_t chunk_len;		/* bytes of the whole chunk, from chunk on: head, text, "\r\n" */
	char bytes[];			/* room for the chunk's head, then the chunk, then the branch
					 * and the owner, each NUL-terminated */
};

/*
 * Formats event SEQ of TYPE with PAYLOAD (JSON text; raw line breaks, which JSON only allows
 * as whitespace, become spaces), keeping BRANCH and OWNER (the row's, as change_log has
 * them; OWNER NULL for none) beside it, for the permission check. Returns a frame the
 * caller owns (free() it), or NULL when out of memory or TYPE is empty, longer than 200
 * bytes or holds a line break.
 */
struct frame *frame_new(int64_t seq, const char *type, const char *branch, const char *owner,
    const char *payload);

/* The branch of the frame's row, for branch= streams and permissions. */
static inline const char *
frame_branch(const struct frame *f)
{
	return f->text + f->len + 3;
}

/* The bytes F takes in memory (what the ring's byte bound counts). */
size_t frame_bytes(const struct frame *f);

/* The owner of the frame's row (a login), or NULL when it has none. */
const char *frame_owner(const struct frame *f);

/* The frame's event type (not NUL-terminated: F->type_len bytes). */
static inline const char *
frame_type(const struct frame *f)
{
	return f->text + f->type_off;
}

#endif
