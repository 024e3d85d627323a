/* test-frame.c - the relay's SSE frames: format, line breaks, branch and owner, refused types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "tap.h"

/* F's text (LEN bytes; the chunk's "\r\n" follows it) as a string, in a buffer reused by each call. */
static const char *
text_of(const struct frame *f)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%.*s", (int)f->len, f->text);
	return buf;
}

/* F's whole HTTP chunk as a string, likewise. */
static const char *
chunk_of(const struct frame *f)
{
	static char buf[1100];

	snprintf(buf, sizeof(buf), "%.*s", (int)f->chunk_len, f->chunk);
	return buf;
}

int
main(void)
{
	struct frame *f;
	char type[202];

	f = frame_new(42, "clients:create", "north", "ann", "{\"seq\":42}");
	ok(f != NULL, "a frame is made");
	is_str(text_of(f), "id: 42\nevent: clients:create\ndata: {\"seq\":42}\n\n", "id, event, data, blank line");
	is_int(f->len, strlen(text_of(f)), "len counts the frame's bytes");
	is_str(chunk_of(f), "2f\r\nid: 42\nevent: clients:create\ndata: {\"seq\":42}\n\n\r\n",
	    "the chunk is its length in hex, the text and CRLF, in one piece");
	ok(f->chunk + 4 == f->text && f->chunk_len == 4 + f->len + 2, "... the text's own bytes in the middle");
	is_int(f->seq, 42, "the seq is kept");
	ok(f->type_len == strlen("clients:create") &&
	    memcmp(frame_type(f), "clients:create", f->type_len) == 0, "frame_type points at the type");
	is_str(frame_branch(f), "north", "the branch is kept beside the text");
	is_str(frame_owner(f), "ann", "... and the owner beside it");
	free(f);

	f = frame_new(7, "visits:update", "south", NULL, "{\"a\":\n1,\r\n\"b\":2}");
	is_str(text_of(f), "id: 7\nevent: visits:update\ndata: {\"a\": 1,  \"b\":2}\n\n",
	    "line breaks in the payload become spaces: one data line");
	is_str(frame_branch(f), "south", "... and the branch is unharmed");
	ok(frame_owner(f) == NULL, "no owner is NULL");
	free(f);

	f = frame_new(8, "visits:delete", "", NULL, "{}");
	is_str(frame_branch(f), "", "an empty branch is kept empty");
	ok(frame_owner(f) == NULL, "... and no owner after it is still none");
	free(f);

	f = frame_new(9007199254740991LL, "a:b", "x", NULL, "null");
	is_str(text_of(f), "id: 9007199254740991\nevent: a:b\ndata: null\n\n", "a large seq");
	free(f);

	memset(type, 'a', 200);
	type[200] = '\0';
	f = frame_new(1, type, "x", NULL, "{}");
	ok(f != NULL, "a type of 200 bytes is taken");
	free(f);

	{
		static char big[70000];

		memset(big, 'x', sizeof(big) - 1);
		f = frame_new(3, "a:b", "x", NULL, big);
		ok(f && f->len == 70024 && strncmp(f->chunk, "11188\r\n", 7) == 0 && f->chunk + 7 == f->text &&
		    memcmp(f->text + f->len, "\r\n", 2) == 0, "a longer chunk head ends where the text starts");
		is_str(frame_branch(f), "x", "... and the branch follows the chunk");
		free(f);
	}
	type[200] = 'a';
	type[201] = '\0';
	ok(frame_new(1, type, "x", NULL, "{}") == NULL, "a type of 201 bytes is refused");
	ok(frame_new(1, "clients:create\ndata: x", "x", NULL, "{}") == NULL, "a type with a newline is refused");
	ok(frame_new(1, "clients:create\r", "x", NULL, "{}") == NULL, "a type with a carriage return is refused");
	ok(frame_new(1, "", "x", NULL, "{}") == NULL, "an empty type is refused");
	return done_testing();
}
