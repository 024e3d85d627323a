/* visits.fcgi - a rep's visits to clients, with where and how they went. */
#include "fs_serve.h"

static const char *const outcomes[] = { "order", "follow_up", "no_interest", "closed", NULL };

static const struct fs_column columns[] = {
	{ .name = "client_id", .type = COL_UUID, .flags = COL_REQUIRED },
	{ .name = "visited_at", .type = COL_TIMESTAMP, .flags = COL_REQUIRED },
	{ .name = "agent", .type = COL_TEXT, .flags = COL_REQUIRED },
	{ .name = "latitude", .type = COL_DOUBLE, .flags = COL_HAS_MIN | COL_HAS_MAX,
	  .min = -90, .max = 90 },
	{ .name = "longitude", .type = COL_DOUBLE, .flags = COL_HAS_MIN | COL_HAS_MAX,
	  .min = -180, .max = 180 },
	{ .name = "outcome", .type = COL_ENUM, .values = outcomes },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000 },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "date", FILTER_DAY, { "visited_at" } },
	{ "client_id", FILTER_EQ, { "client_id" } },
	{ "agent", FILTER_EQ, { "agent" } },
	{ "search", FILTER_SEARCH, { "agent", "notes" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_resource visits = {
	.table = "visits", .path = "visits",
	.columns = columns, .filters = filters, .sort = "visited_at", .sort_desc = true,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &visits);
}
