/* frame.c - formats a change event as an SSE frame. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define MAX_TYPE 200
#define CHUNK_HEAD 10	/* "<len in hex>\r\n": 8 digits at most */

struct frame *
frame_new(int64_t seq, const char *type, const char *branch, const char *owner,
    const char *payload)
{
	char id[64], head[CHUNK_HEAD + 1];
	size_t type_len = strlen(type), payload_len = strlen(payload), id_len, len, head_len;
	size_t branch_len = strlen(branch), owner_len = owner ? strlen(owner) : 0;
	struct frame *f;
	char *p;

	if (type_len == 0 || type_len > MAX_TYPE || strpbrk(type, "\r\n"))
		return NULL;
	id_len = (size_t)snprintf(id, sizeof(id), "id: %" PRId64 "\nevent: ", seq);
	len = id_len + type_len + strlen("\ndata: ") + payload_len + strlen("\n\n");
	if (len > UINT32_MAX - CHUNK_HEAD - 2 ||
	    !(f = malloc(sizeof(*f) + CHUNK_HEAD + len + 3 + branch_len + 1 + owner_len + 1)))
		return NULL;
	head_len = (size_t)snprintf(head, sizeof(head), "%x\r\n", (unsigned)len);
	f->seq = seq;
	f->len = (uint32_t)len;
	f->type_off = (uint16_t)id_len;
	f->type_len = (uint16_t)type_len;
	/* The head ends where the text starts, whatever its length. */
	p = f->bytes + CHUNK_HEAD;
	f->text = p;
	f->chunk = p - head_len;
	f->chunk_len = (uint32_t)(head_len + len + 2);
	memcpy(p - head_len, head, head_len);
	memcpy(p, id, id_len);
	p += id_len;
	memcpy(p, type, type_len);
	p += type_len;
	memcpy(p, "\ndata: ", 7);
	p += 7;
	for (size_t i = 0; i < payload_len; i++)
		*p++ = (payload[i] == '\n' || payload[i] == '\r') ? ' ' : payload[i];
	memcpy(p, "\n\n\r\n", 5);
	p += 5;
	memcpy(p, branch, branch_len + 1);
	/* No owner is kept as "": an owner column never holds an empty login. */
	memcpy(p + branch_len + 1, owner ? owner : "", owner_len + 1);
	return f;
}

const char *
frame_owner(const struct frame *f)
{
	const char *branch = frame_branch(f), *owner = branch + strlen(branch) + 1;

	return *owner ? owner : NULL;
}

size_t
frame_bytes(const struct frame *f)
{
	const char *branch = frame_branch(f), *owner = branch + strlen(branch) + 1;

	return sizeof(*f) + CHUNK_HEAD + f->len + 3 + strlen(branch) + 1 + strlen(owner) + 1;
}
