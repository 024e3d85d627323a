/* clients.fcgi - the shops and businesses the reps sell to. */
#include "fs_serve.h"

static const char *const statuses[] = { "prospect", "active", "inactive", NULL };

static const struct fs_column columns[] = {
	{ .name = "name", .type = COL_TEXT, .flags = COL_REQUIRED, .example = "\"Sample client\"" },
	{ .name = "distributor_id", .type = COL_UUID, .references = "distributors" },
	{ .name = "phone", .type = COL_TEXT, .max_len = 64, .example = "\"+27 21 555 0100\"" },
	{ .name = "email", .type = COL_TEXT, .max_len = 254, .rule = "must be an e-mail address",
	  .example = "\"buyer@example.com\"" },
	{ .name = "address", .type = COL_TEXT, .example = "\"2 Long Street\"" },
	{ .name = "category", .type = COL_TEXT, .example = "\"retail\"" },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "prospect",
	  .example = "\"active\"" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000, .example = "\"opens at nine\"" },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "search", FILTER_SEARCH, { "name", "email", "phone" } },
	{ "distributor_id", FILTER_EQ, { "distributor_id" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_grant grants[] = {
	{ .role = "rep", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "finance", .ops = FS_OP_READ },
	{ .role = NULL },
};

static const struct fs_resource clients = {
	.table = "clients", .path = "clients", .noun = "client", .label = "name",
	.columns = columns, .filters = filters, .sort = "name",
	.grants = grants,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &clients);
}
