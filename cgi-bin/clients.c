/* clients.fcgi - the shops and businesses the reps sell to. */
#include "fs_serve.h"

static const char *const statuses[] = { "prospect", "active", "inactive", NULL };

static const struct fs_column columns[] = {
	{ .name = "name", .type = COL_TEXT, .flags = COL_REQUIRED },
	{ .name = "distributor_id", .type = COL_UUID },
	{ .name = "phone", .type = COL_TEXT, .max_len = 64 },
	{ .name = "email", .type = COL_TEXT, .max_len = 254, .rule = "must be an e-mail address" },
	{ .name = "address", .type = COL_TEXT },
	{ .name = "category", .type = COL_TEXT },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "prospect" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000 },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "search", FILTER_SEARCH, { "name", "email", "phone" } },
	{ "distributor_id", FILTER_EQ, { "distributor_id" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_resource clients = {
	.table = "clients", .path = "clients",
	.columns = columns, .filters = filters, .sort = "name",
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &clients);
}
