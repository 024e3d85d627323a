/* distributors.fcgi - the business's distributors and their agreements. */
#include "fs_serve.h"

static const char *const statuses[] = { "active", "suspended", "terminated", NULL };

static const struct fs_column columns[] = {
	{ .name = "name", .type = COL_TEXT, .flags = COL_REQUIRED },
	{ .name = "code", .type = COL_TEXT, .max_len = 64 },
	{ .name = "region", .type = COL_TEXT },
	{ .name = "contact_name", .type = COL_TEXT },
	{ .name = "phone", .type = COL_TEXT, .max_len = 64 },
	{ .name = "email", .type = COL_TEXT, .max_len = 254, .rule = "must be an e-mail address" },
	{ .name = "address", .type = COL_TEXT },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "active" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000 },
	{ .name = "agreement_data", .type = COL_OBJECT },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "search", FILTER_SEARCH, { "name", "code", "contact_name", "region" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_resource distributors = {
	.table = "distributors", .path = "distributors",
	.columns = columns, .filters = filters, .sort = "name",
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &distributors);
}
