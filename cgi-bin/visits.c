/* visits.fcgi - a rep's visits to clients, with where and how they went. */
#include "fs_serve.h"

static const char *const outcomes[] = { "order", "follow_up", "no_interest", "closed", NULL };

static const struct fs_column columns[] = {
	{ .name = "client_id", .type = COL_UUID, .flags = COL_REQUIRED, .references = "clients" },
	{ .name = "visited_at", .type = COL_TIMESTAMP, .flags = COL_REQUIRED,
	  .example = "\"2026-11-20T10:15:00Z\"" },
	{ .name = "agent", .type = COL_TEXT, .flags = COL_REQUIRED, .example = "\"Sample agent\"" },
	{ .name = "latitude", .type = COL_DOUBLE, .flags = COL_HAS_MIN | COL_HAS_MAX,
	  .min = -90, .max = 90, .example = "-33.9249" },
	{ .name = "longitude", .type = COL_DOUBLE, .flags = COL_HAS_MIN | COL_HAS_MAX,
	  .min = -180, .max = 180, .example = "18.4241" },
	{ .name = "outcome", .type = COL_ENUM, .values = outcomes, .example = "\"order\"" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000, .example = "\"met the owner\"" },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "date", FILTER_DAY, { "visited_at" } },
	{ "client_id", FILTER_EQ, { "client_id" } },
	{ "agent", FILTER_EQ, { "agent" } },
	{ "search", FILTER_SEARCH, { "agent", "notes" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_grant grants[] = {
	{ .role = "rep", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "finance", .ops = FS_OP_READ },
	{ .role = NULL },
};

static const struct fs_resource visits = {
	.table = "visits", .path = "visits", .noun = "visit", .label = "agent",
	.columns = columns, .filters = filters, .sort = "visited_at", .sort_desc = true,
	.grants = grants,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &visits);
}
