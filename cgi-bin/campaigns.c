/* campaigns.fcgi - marketing campaigns run by a branch. */
#include "fs_serve.h"

static const char *const statuses[] = { "draft", "active", "paused", "ended", NULL };

static const struct fs_column columns[] = {
	{ .name = "name", .type = COL_TEXT, .flags = COL_REQUIRED,
	  .example = "\"Sample campaign\"" },
	{ .name = "channel", .type = COL_TEXT, .example = "\"radio\"" },
	{ .name = "starts_on", .type = COL_DATE, .flags = COL_REQUIRED,
	  .example = "\"2026-12-01\"" },
	{ .name = "ends_on", .type = COL_DATE, .rule = "must not be before starts_on",
	  .example = "\"2026-12-31\"" },
	{ .name = "budget", .type = COL_NUMERIC, .flags = COL_HAS_MIN | COL_HAS_MAX,
	  .min = 0, .max = 9999999999.99, .scale = 2, .example = "1500.5", .precision = 12 },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "draft",
	  .example = "\"draft\"" },
	{ .name = "details", .type = COL_OBJECT, .example = "{\"target\":\"north\"}" },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "date", FILTER_SPAN, { "starts_on", "ends_on" } },
	{ "search", FILTER_SEARCH, { "name", "channel" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_grant grants[] = {
	{ .role = "rep", .ops = FS_OP_READ },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "finance", .ops = FS_OP_READ },
	{ .role = NULL },
};

static const struct fs_resource campaigns = {
	.table = "campaigns", .path = "campaigns", .noun = "campaign", .label = "name",
	.columns = columns, .filters = filters, .sort = "starts_on", .sort_desc = true,
	.grants = grants,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &campaigns);
}
