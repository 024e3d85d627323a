/* test-message.c - the relay reads the workers' messages: doorbells, whole entries, junk. */
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "tap.h"

/* Parses the LEN bytes of TEXT. */
static int
parse(const char *text, size_t len, struct message *m)
{
	return message_parse(text, len, m);
}

int
main(void)
{
	static const char whole[] = "clients:update 17\0north\0ann\0{\"seq\":17}";
	static const char no_owner[] = "clients:create 18\0south\0\0{}";
	struct message m;
	struct frame *f, *g;

	ok(parse("clients:create 42", 17, &m), "a doorbell is a message");
	is_int(m.seq, 42, "... its seq");
	ok(m.type_len == 14 && memcmp(m.type, "clients:create", 14) == 0, "... its type");
	ok(m.event == NULL && m.branch == NULL, "... and no entry");
	ok(message_frame(&m) == NULL, "a doorbell makes no frame");

	ok(parse(whole, sizeof(whole) - 1, &m), "a whole entry is a message");
	is_int(m.seq, 17, "... its seq");
	is_str(m.branch, "north", "... its branch");
	is_str(m.owner, "ann", "... its owner");
	ok(m.event_len == 10 && memcmp(m.event, "{\"seq\":17}", 10) == 0, "... its event, the rest");
	f = message_frame(&m);
	g = frame_new(17, "clients:update", "north", "ann", "{\"seq\":17}");
	ok(f && g && f->len == g->len && memcmp(f->text, g->text, f->len) == 0, "its frame is the log row's");
	ok(f && strcmp(frame_branch(f), "north") == 0 && frame_owner(f) && strcmp(frame_owner(f), "ann") == 0,
	    "... with its branch and owner");
	free(f);
	free(g);

	ok(parse(no_owner, sizeof(no_owner) - 1, &m), "an entry without an owner");
	f = message_frame(&m);
	ok(f && frame_owner(f) == NULL, "... has no owner in its frame");
	free(f);

	ok(!parse("clients:create", 14, &m), "no seq: not a message");
	ok(!parse(" 42", 3, &m), "no type: not a message");
	ok(!parse("clients:create 4x2", 18, &m), "a seq with a letter: not a message");
	ok(!parse("clients:create 0", 16, &m), "seq 0: not a message");
	ok(!parse("clients:create 99999999999999999999", 35, &m), "a seq past int64: not a message");
	ok(!parse("clients:create 5\0north", 22, &m), "an entry cut after its branch: not a message");
	ok(!parse("clients:create 5\0north\0ann", 26, &m), "... after its owner: not a message");
	ok(!parse("clients:create 5\0n\0a\0{}\0x", 25, &m), "a NUL in the event: not a message");
	ok(!parse("clients:create 5\0", 17, &m), "a seq with an empty entry: not a message");
	return done_testing();
}
