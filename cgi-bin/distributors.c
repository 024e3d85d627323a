/* distributors.fcgi - the business's distributors and their agreements. */
#include "fs_serve.h"

static const char *const statuses[] = { "active", "suspended", "terminated", NULL };

static const struct fs_column columns[] = {
	{ .name = "name", .type = COL_TEXT, .flags = COL_REQUIRED,
	  .example = "\"Sample distributor\"" },
	{ .name = "code", .type = COL_TEXT, .max_len = 64,
	  .flags = COL_UNIQUE, .example = "\"D-1001\"" },
	{ .name = "region", .type = COL_TEXT, .example = "\"Western Cape\"" },
	{ .name = "contact_name", .type = COL_TEXT, .example = "\"Ann Smith\"" },
	{ .name = "phone", .type = COL_TEXT, .max_len = 64, .example = "\"+27 21 555 0100\"" },
	{ .name = "email", .type = COL_TEXT, .max_len = 254, .rule = "must be an e-mail address",
	  .example = "\"ann@example.com\"" },
	{ .name = "address", .type = COL_TEXT, .example = "\"1 Main Road, Cape Town\"" },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "active",
	  .example = "\"active\"" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000, .example = "\"prefers email\"" },
	{ .name = "agreement_data", .type = COL_OBJECT,
	  .example = "{\"tier\":\"gold\",\"discount_pct\":5}" },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "search", FILTER_SEARCH, { "name", "code", "contact_name", "region" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_grant grants[] = {
	{ .role = "rep", .ops = FS_OP_READ },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "finance", .ops = FS_OP_READ },
	{ .role = NULL },
};

static const struct fs_resource distributors = {
	.table = "distributors", .path = "distributors", .noun = "distributor", .label = "name",
	.columns = columns, .filters = filters, .sort = "name",
	.grants = grants,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &distributors);
}
