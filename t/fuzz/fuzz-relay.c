/*
 * fuzz-relay.c - what the relay reads of a GET /events before a stream opens: the query
 * string (since, types, branch) and Last-Event-ID (relay/http.c's parse_events and
 * parse_cursor, relay/filter.c, fs_types_parse), then the scope check of a signed-in user
 * (relay/scope.c) and the filter applied to an event of every table.
 *
 * Input: "<Last-Event-ID>\n<query string>"; an empty first line sends no Last-Event-ID.
 * Nothing here reaches a database or a socket: the request is one libevent holds in memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The relay's request parsing is static in http.c: compiled into this target, as is. */
#include "../../relay/http.c"

#include "resources.h"

static struct fs_membership memberships[] = { { "north", ROLE_REP }, { "south", ROLE_MANAGER } };
static const struct fs_user user = { .id = "00000000-0000-4000-8000-000000000001",
	.login = "ann", .n = 2, .m = memberships };
static const char *const actions[] = { "create", "update", "delete" };

/* The tables the change log tracks, with their shipped declarations' permissions. */
static struct fs_tables known;

static void
load_tables(void)
{
	static char *names[8];
	static struct fs_declared decl[8];

	if (known.n)
		return;
	for (size_t i = 0; i < fuzz_nresources && i < 8; i++) {
		names[i] = (char *)fuzz_resource_at(i)->table;
		decl[i].res = *fuzz_resource_at(i);
	}
	known = (struct fs_tables){ .names = names, .n = fuzz_nresources, .decl = decl };
	for (size_t i = 1; i < known.n; i++)	/* fs_types looks names up by binary search */
		fuzz_assert(strcmp(names[i - 1], names[i]) < 0, "the tables are sorted");
}

/* F passed parse_events: an event of every table and action goes through it and the scope. */
static void
check_filter(const struct sse_request *q)
{
	struct fs_error err = FS_ERROR_INIT;
	char type[FS_TYPES_MAX_NAME + 10];
	char *patterns = NULL;

	fuzz_assert(fs_types_patterns(&q->filter.types, &patterns, &err) == FS_OK, "patterns");
	fuzz_assert(!patterns == !!q->filter.types.all, "no patterns exactly when every type passes");
	free(patterns);
	if (scope_check(&q->scope, &q->filter, &known, &err) != FS_OK)
		fuzz_check_error_json(&err);
	fs_error_clear(&err);
	for (size_t i = 0; i < known.n; i++) {
		for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
			struct frame *fr;

			snprintf(type, sizeof(type), "%s:%s", known.names[i], actions[a]);
			fr = frame_new(1, type, q->filter.branch ? q->filter.branch : "north", "ann", "{}");
			fuzz_assert(fr != NULL, "frame_new");
			(void)filter_wants(&q->filter, fr);
			(void)scope_allows(&q->scope, &known, fr);
			free(fr);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_error err = FS_ERROR_INIT;
	struct evhttp_request *req;
	struct sse_request q;
	const char *line;
	size_t len;
	char *query = fuzz_split(data, size, &line, &len), *last;

	if (!query)
		return 0;
	load_tables();
	req = evhttp_request_new(NULL, NULL);
	last = strndup(line, len);
	fuzz_assert(req && last, "out of memory");
	/* libevent itself refuses a header value with a line break: such never arrives. */
	if (len && evhttp_add_header(evhttp_request_get_input_headers(req), "Last-Event-ID", last) < 0)
		goto out;
	memset(&q, 0, sizeof(q));
	q.filter.types.all = 1;
	fuzz_assert(scope_init(&q.scope, &user, &err) == FS_OK, "scope_init");
	if (parse_events(req, query, &known, &q, &err) == FS_OK) {
		fuzz_assert(!q.cursor_ok || (q.has_cursor && q.cursor >= 0), "a cursor is a seq >= 0");
		check_filter(&q);
	} else {
		fuzz_check_error_json(&err);
	}
	fs_error_clear(&err);
	filter_release(&q.filter);
	scope_release(&q.scope);
out:
	free(last);
	evhttp_request_free(req);
	free(query);
	return 0;
}
