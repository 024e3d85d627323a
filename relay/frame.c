/* frame.c - formats a change event as an SSE frame. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "frame.h"

#define MAX_TYPE 200

/* The "branch" of the JSON object PAYLOAD, copied into BUF (SIZE bytes); "" when none. */
static void
payload_branch(const char *payload, char *buf, size_t size)
{
	cJSON *root = cJSON_Parse(payload);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "branch");

	snprintf(buf, size, "%s", cJSON_IsString(b) ? b->valuestring : "");
	cJSON_Delete(root);
}

struct frame *
frame_new(int64_t seq, const char *type, const char *payload)
{
	char id[64], branch[256];
	size_t type_len = strlen(type), payload_len = strlen(payload), id_len, len, branch_len;
	struct frame *f;
	char *p;

	if (type_len == 0 || type_len > MAX_TYPE || strpbrk(type, "\r\n"))
		return NULL;
	payload_branch(payload, branch, sizeof(branch));
	branch_len = strlen(branch);
	id_len = (size_t)snprintf(id, sizeof(id), "id: %" PRId64 "\nevent: ", seq);
	len = id_len + type_len + strlen("\ndata: ") + payload_len + strlen("\n\n");
	if (len > UINT32_MAX || !(f = malloc(sizeof(*f) + len + 1 + branch_len + 1)))
		return NULL;
	f->seq = seq;
	f->len = (uint32_t)len;
	f->type_off = (uint16_t)id_len;
	f->type_len = (uint16_t)type_len;
	p = f->text;
	memcpy(p, id, id_len);
	p += id_len;
	memcpy(p, type, type_len);
	p += type_len;
	memcpy(p, "\ndata: ", 7);
	p += 7;
	for (size_t i = 0; i < payload_len; i++)
		*p++ = (payload[i] == '\n' || payload[i] == '\r') ? ' ' : payload[i];
	memcpy(p, "\n\n", 3);
	memcpy(p + 3, branch, branch_len + 1);
	return f;
}
