/* changes.fcgi - the change log as a feed: GET /api/changes?since=N (see lib/fs_changes.h). */
#include "fs_serve.h"

static const struct fs_column columns[] = {
	{ .name = NULL },
};

/* Slots 1 and 2 after the implied branch filter; fs_changes.c checks their values. */
static const struct fs_filter filters[] = {
	{ "since", FILTER_EQ, { "seq" } },
	{ "types", FILTER_EQ, { "type" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_resource changes = {
	.table = "change_log", .path = "changes", .columns = columns, .filters = filters,
	.sort = "seq", .feed = true,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &changes);
}
