/* test-queries.c - the relay's statement queue: it grows to a burst, keeps its order, holds
 * no more than its most, and shrinks back once empty. Its database is unreachable, so each
 * statement is answered NULL from the loop, in turn, with no server needed. */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "fs_config.h"
#include "queries.h"
#include "tap.h"

#define MOST 300

static const struct fs_pg_stmt stmt = { "test_queries", "SELECT 1", 0 };
static int order[MOST + 1], answered, nulls;

/* query_done: records which statement answered, and whether with NULL. */
static void
on_answer(void *arg, PGresult *res)
{
	order[answered++] = *(const int *)arg;
	nulls += res == NULL;
}

int
main(void)
{
	static int ids[MOST + 1];
	struct fs_config cfg;
	struct fs_pg pg;
	struct queries q;
	struct event_base *base = event_base_new();
	int refused = 0, in_order = 1, cancelled = 7;

	fs_config_defaults(&cfg);
	/* Nothing listens there: every send fails at once and is answered NULL. */
	snprintf(cfg.database_url, sizeof(cfg.database_url), "postgresql:///none?host=/nonexistent-dir");
	fs_pg_init(&pg, &cfg, "test-queries", 0);
	pg.log = NULL;
	ok(base && queries_init(&q, &pg, base, MOST) == 0, "a queue of at most %d statements", MOST);
	is_int((long)q.cap, QUERIES_START, "it starts with room for %d", QUERIES_START);

	for (int i = 0; i <= MOST; i++) {
		ids[i] = i;
		refused += queries_submit(&q, &stmt, NULL, on_answer, &ids[i]) < 0;
	}
	is_int((long)queries_waiting(&q), MOST, "a burst of %d waits whole: the queue grew", MOST);
	is_int(refused, 1, "... and one more than its most is refused");
	is_int((long)q.cap, MOST, "... its ring no larger than its most");
	queries_cancel(&q, &ids[cancelled]);

	event_base_dispatch(base);	/* runs until nothing is left to answer */
	is_int(answered, MOST - 1, "every statement is answered but the cancelled one");
	is_int(nulls, answered, "... each NULL (the database is unreachable)");
	for (int i = 0; i < answered; i++)
		in_order &= order[i] == (i < cancelled ? i : i + 1);
	ok(in_order, "... in the order they were queued, across every growth");
	is_int((long)queries_waiting(&q), 0, "the queue is empty");
	is_int((long)q.cap, QUERIES_START, "... and its ring is back to %d", QUERIES_START);
	ok(queries_submit(&q, &stmt, NULL, on_answer, &ids[0]) == 0, "it takes statements again");
	event_base_dispatch(base);
	is_int(answered, MOST, "... and answers them");

	queries_release(&q);
	fs_pg_close(&pg);
	event_base_free(base);
	return done_testing();
}
